from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_targets_progress')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LinkAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.FloatField(db_index=True)),
                ('channel', fields.CharField(max_length=16)),
            ],
            options={'table': 'link_attempt', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A failed link-code guess, kept briefly so that guessing is limited across all chats.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='InboundEvent',
            name='lease_owner',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='OcrJob',
            name='crashes',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='OcrJob',
            name='lease_owner',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='lease_owner',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='Staff',
            name='is_demo',
            field=fields.BooleanField(default=False),
        ),
    ]
