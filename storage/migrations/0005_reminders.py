from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_prompt_position')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReminderPause',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='reminder_pauses', on_delete=OnDelete.CASCADE)),
                ('fiscal_year', fields.IntField()),
                ('round', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reminder_pause', 'app': 'models', 'unique_together': (('staff', 'fiscal_year', 'round'),), 'pk_attr': 'id', 'table_description': 'A person who asked for no more reminders in one round.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReminderSent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='reminders_sent', on_delete=OnDelete.CASCADE)),
                ('fiscal_year', fields.IntField()),
                ('round', fields.IntField()),
                ('kind', fields.CharField(max_length=16)),
                ('offset_days', fields.IntField()),
                ('sweep', fields.CharField(db_index=True, max_length=32)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reminder_sent', 'app': 'models', 'unique_together': (('staff', 'fiscal_year', 'round', 'kind', 'offset_days'),), 'pk_attr': 'id', 'table_description': 'A reminder claimed for one person, round, kind and offset: the unique key makes it go out once.'},
            bases=['Model'],
        ),
    ]
