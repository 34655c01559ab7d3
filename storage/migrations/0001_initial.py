from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ConversationState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('user', fields.CharField(max_length=128)),
                ('state', fields.CharField(max_length=64)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'conversation_state', 'app': 'models', 'unique_together': (('channel', 'user'),), 'pk_attr': 'id', 'table_description': 'The state name and small data dict of a multi-step conversation, keyed by who is talking.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Course',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(null=True, unique=True, max_length=32)),
                ('name', fields.CharField(max_length=300)),
                ('kind', fields.CharField(default='course', max_length=16)),
                ('category', fields.CharField(default='', max_length=100)),
                ('portal_id', fields.IntField(null=True)),
                ('source', fields.CharField(default='catalog', max_length=16)),
            ],
            options={'table': 'course', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An OCSC course or curriculum, seeded from the portal catalog and extendable by admins.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboundEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.CharField(unique=True, max_length=160)),
                ('channel', fields.CharField(max_length=16)),
                ('user_key', fields.CharField(default='', max_length=160)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('received_at', fields.FloatField()),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('lease_until', fields.FloatField(null=True)),
                ('processed_at', fields.FloatField(null=True)),
                ('error', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'inbound_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A webhook event stored before the platform gets its 200, processed once afterwards.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('chat', fields.CharField(db_index=True, max_length=128)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reply_token', fields.CharField(null=True, max_length=128)),
                ('reply_token_at', fields.FloatField(null=True)),
                ('source_event', fields.CharField(null=True, max_length=160)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.FloatField(default=0)),
                ('lease_until', fields.FloatField(null=True)),
                ('created_at', fields.FloatField()),
                ('sent_at', fields.FloatField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Replies waiting to be delivered, written in the same transaction as the state they report.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Unit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('parent', fields.ForeignKeyField('models.Unit', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'unit', 'app': 'models', 'unique_together': (('parent', 'name'),), 'pk_attr': 'id', 'table_description': 'An organisational unit in a tree (agency, group, section).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Staff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('employee_code', fields.CharField(unique=True, max_length=32)),
                ('title', fields.CharField(default='', max_length=64)),
                ('first_name', fields.CharField(max_length=100)),
                ('last_name', fields.CharField(max_length=100)),
                ('position', fields.CharField(default='', max_length=200)),
                ('personnel_type', fields.CharField(default='', max_length=64)),
                ('target_group', fields.CharField(default='', max_length=64)),
                ('unit', fields.ForeignKeyField('models.Unit', source_field='unit_id', null=True, db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.SET_NULL)),
                ('supervisor', fields.ForeignKeyField('models.Staff', source_field='supervisor_id', null=True, db_constraint=True, to_field='id', related_name='subordinates', on_delete=OnDelete.SET_NULL)),
                ('is_supervisor', fields.BooleanField(default=False)),
                ('is_admin', fields.BooleanField(default=False)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'staff', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A member of staff from the roster.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChatIdentity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharField(max_length=16)),
                ('platform_user_id', fields.CharField(max_length=128)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='identities', on_delete=OnDelete.CASCADE)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'chat_identity', 'app': 'models', 'unique_together': (('channel', 'platform_user_id'),), 'pk_attr': 'id', 'table_description': 'A LINE, Telegram or simulator user linked to one staff member.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LinkCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='link_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked', fields.BooleanField(default=False)),
            ],
            options={'table': 'link_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time code that links a chat account to a staff member (only its hash is kept).'},
            bases=['Model'],
        ),
    ]
