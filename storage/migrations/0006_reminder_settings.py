from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_reminders')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DayOff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField(unique=True)),
                ('name', fields.CharField(max_length=200)),
                ('added_by', fields.ForeignKeyField('models.Staff', source_field='added_by_id', null=True, db_constraint=True, to_field='id', related_name='days_off_added', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'day_off', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A day off the agency added to the Thai public holidays (a provincial holiday, an extra day granted).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReminderChoice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.OneToOneField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='reminder_choice', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=16)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'reminder_choice', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Where a person linked on several channels wants reminders and digests to go.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReminderKindOff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(unique=True, max_length=16)),
                ('turned_off_by', fields.ForeignKeyField('models.Staff', source_field='turned_off_by_id', null=True, db_constraint=True, to_field='id', related_name='reminder_kinds_off', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reminder_kind_off', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A kind of reminder an admin turned off for the whole agency (a row means off).'},
            bases=['Model'],
        ),
    ]
