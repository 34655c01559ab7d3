from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_hardening')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ChatIdentity',
            name='menu',
            field=fields.CharField(null=True, max_length=80),
        ),
        ops.AddField(
            model_name='PromptMessage',
            name='outbox_index',
            field=fields.IntField(default=0),
        ),
    ]
