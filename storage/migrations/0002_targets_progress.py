from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RequiredCourse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='required_courses', on_delete=OnDelete.CASCADE)),
                ('course', fields.ForeignKeyField('models.Course', source_field='course_id', db_constraint=True, to_field='id', related_name='required_for', on_delete=OnDelete.CASCADE)),
                ('fiscal_year', fields.IntField()),
                ('assigned_by', fields.ForeignKeyField('models.Staff', source_field='assigned_by_id', null=True, db_constraint=True, to_field='id', related_name='courses_assigned', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'required_course', 'app': 'models', 'unique_together': (('staff', 'course', 'fiscal_year'),), 'pk_attr': 'id', 'table_description': 'A catalog course a supervisor agreed with a subordinate for one fiscal year.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoundDeadline',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('fiscal_year', fields.IntField()),
                ('round', fields.IntField()),
                ('deadline', fields.DateField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'round_deadline', 'app': 'models', 'unique_together': (('fiscal_year', 'round'),), 'pk_attr': 'id', 'table_description': 'The submission deadline an admin set for one assessment round.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Target',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('fiscal_year', fields.IntField()),
                ('target_group', fields.CharField(default='', max_length=64)),
                ('round', fields.IntField(default=0)),
                ('min_courses', fields.IntField(null=True)),
                ('min_hours', fields.DecimalField(null=True, max_digits=7, decimal_places=1)),
                ('hours_per_day', fields.DecimalField(default=6, max_digits=4, decimal_places=1)),
                ('require', fields.CharField(default='either', max_length=8)),
                ('updated_by', fields.ForeignKeyField('models.Staff', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='targets_set', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'target', 'app': 'models', 'unique_together': (('fiscal_year', 'target_group', 'round'),), 'pk_attr': 'id', 'table_description': 'A development target for one fiscal year, optionally for one target group and one round.'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Submission',
            index=Index(fields=['staff_id', 'status', 'completed_on']),
        ),
        ops.AddIndex(
            model_name='Submission',
            index=Index(fields=['status', 'completed_on']),
        ),
    ]
