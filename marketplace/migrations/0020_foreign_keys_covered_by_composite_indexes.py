"""Four foreign keys lose their own index: a composite index starting with the same column
serves every lookup by it (task_by_batch, task_by_requester, one_assignment_per_worker_per_task,
assignment_by_worker_status), and each index costs every write of a task or an assignment that
is not updated in place an entry (a claim writes both, a submit both). No constraint changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0019_task_worker_exclusions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assignment",
            name="task",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="marketplace.task",
            ),
        ),
        migrations.AlterField(
            model_name="assignment",
            name="worker",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="marketplace.worker",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="batch",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tasks",
                to="marketplace.batch",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="requester",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="tasks",
                to="marketplace.organization",
            ),
        ),
    ]
