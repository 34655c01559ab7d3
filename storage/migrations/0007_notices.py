from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_reminder_settings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(max_length=300)),
                ('doc_no', fields.CharField(null=True, max_length=100)),
                ('body', fields.TextField(unique=False)),
                ('reply_by', fields.DateField(null=True)),
                ('attachments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('audience', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ack_required', fields.BooleanField(default=True)),
                ('urgent', fields.BooleanField(default=False)),
                ('line_overflow', fields.CharField(default='telegram', max_length=16)),
                ('send_at', fields.FloatField(db_index=True)),
                ('status', fields.CharField(default='scheduled', db_index=True, max_length=16)),
                ('created_by', fields.ForeignKeyField('models.Staff', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='notices_sent', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.FloatField()),
                ('queued_at', fields.FloatField(null=True)),
                ('resends', fields.IntField(default=0)),
            ],
            options={'table': 'notice', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A circular notice (หนังสือเวียน) an admin sends: content, audience, and where its sending stands.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeRecipient',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('models.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='notices_received', on_delete=OnDelete.CASCADE)),
                ('state', fields.CharField(default='queued', max_length=16)),
                ('delivered_at', fields.FloatField(null=True)),
                ('acknowledged_at', fields.FloatField(null=True)),
                ('ack_channel', fields.CharField(null=True, max_length=16)),
            ],
            options={'table': 'notice_recipient', 'app': 'models', 'unique_together': (('notice', 'staff'),), 'indexes': [Index(fields=['notice_id', 'state'])], 'pk_attr': 'id', 'table_description': 'One person a notice is addressed to: whether it reached them, and when they acknowledged it.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ChatIdentity',
            name='blocked_at',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='notice_id',
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='recipient_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='request_key',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
    ]
