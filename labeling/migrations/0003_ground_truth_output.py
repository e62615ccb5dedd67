"""Ground Truth output (issue 22): object indexes, labeling times, output refresh state.

``object_index`` is filled for existing jobs from the input order (0-based among the non-gold
objects, by line number), so their output gets the same ``datasetObjectId`` a new job would.
"""

from django.db import migrations, models

FILL_OBJECT_INDEX = """
UPDATE labeling_dataobject AS target SET object_index = numbered.position
FROM (
    SELECT id, row_number() OVER (PARTITION BY job_id ORDER BY line_number) - 1 AS position
    FROM labeling_dataobject WHERE NOT is_gold
) AS numbered
WHERE target.id = numbered.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("labeling", "0002_quality_and_qualifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="labelingjob",
            name="label_short_names",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="labelingjob",
            name="output_refreshed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="labelingjob",
            name="output_answers",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dataobject",
            name="object_index",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="dataobject",
            name="labeled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="dataobject",
            name="answers_written",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunSQL(FILL_OBJECT_INDEX, migrations.RunSQL.noop),
    ]
