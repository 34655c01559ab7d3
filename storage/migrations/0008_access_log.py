from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_notices')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessLog',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('viewer', fields.ForeignKeyField('models.Staff', source_field='viewer_id', null=True, db_constraint=True, to_field='id', related_name='records_viewed', on_delete=OnDelete.SET_NULL)),
                ('subject', fields.ForeignKeyField('models.Staff', source_field='subject_id', db_constraint=True, to_field='id', related_name='viewed_by', on_delete=OnDelete.CASCADE)),
                ('what', fields.CharField(max_length=16)),
                ('submission_id', fields.IntField(null=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('channel', fields.CharField(null=True, max_length=16)),
            ],
            options={'table': 'access_log', 'app': 'models', 'indexes': [Index(fields=['subject_id', 'at'])], 'pk_attr': 'id', 'table_description': 'Someone opening another person\'s certificate image or record: the person\'s "who looked" list.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DataCopyLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='data_copy_links', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.FloatField()),
                ('expires_at', fields.FloatField()),
                ('used_at', fields.FloatField(null=True)),
            ],
            options={'table': 'data_copy_link', 'app': 'models', 'pk_attr': 'id', 'table_description': "A one-time link to a person's copy of their data, for chats that cannot carry files (LINE)."},
            bases=['Model'],
        ),
    ]
