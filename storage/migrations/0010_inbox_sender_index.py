from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_outbox_notice_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='InboundEvent',
            index=Index(fields=['user_key', 'status']),
        ),
    ]
