"""The two outbox indexes 0007_notices declared and never created.

0007 adds `notice_id` and `request_key` with `db_index=True` through AddField, which
Tortoise 1.1 records in its state without emitting CREATE INDEX; the models-versus-
migrations test found them missing on both databases. Written out here, IF NOT EXISTS,
so a database someone indexed by hand meanwhile migrates too.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0008_access_log')]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE INDEX IF NOT EXISTS idx_outbox_message_notice_id ON outbox_message (notice_id)",
                "CREATE INDEX IF NOT EXISTS idx_outbox_message_request_key ON outbox_message (request_key)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS idx_outbox_message_notice_id",
                "DROP INDEX IF EXISTS idx_outbox_message_request_key",
            ],
        ),
    ]
