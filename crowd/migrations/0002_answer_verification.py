"""Answers count only once their source is verified (crowd.models.workers.Verification).

- ContainsAnswer and ClassifyAnswer get `verification`. Answers already stored are confirmed,
  except those of MTurk workers whose assignment MTurk has not reviewed yet: they become
  pending, and the next sync confirms those that ListAssignmentsForHIT returns.
- One answer per worker and task holds among confirmed answers only: an answer given first
  under a real worker's id no longer locks the real one out.
- An MTurk AssignmentId is unique per worker, no longer alone (whoever else names it is not
  the worker MTurk gave it to); it stays indexed.
- CONTAINS answers get an index on (worker, grid): a submit checks whether the worker answered
  another grid of the same query with some of the same pictures.
The tables keep their db_table names (annotation_*).
"""

from django.db import migrations, models

VERIFICATION = [
    ("pending", "Waiting for Mechanical Turk to confirm it"),
    ("confirmed", "Confirmed"),
    ("unconfirmed", "Not confirmed by Mechanical Turk"),
]


def verification_field():
    return models.CharField(
        choices=VERIFICATION,
        default="confirmed",
        help_text="Only confirmed answers count; MTurk answers wait for the sync to confirm them.",
        max_length=16,
    )


def unreviewed_mturk_answers_wait(apps, schema_editor) -> None:
    """MTurk answers whose assignment is neither approved nor rejected (only MTurk's own
    review sets those) have not been confirmed by MTurk: pending until the next sync."""
    for name in ("ContainsAnswer", "ClassifyAnswer"):
        model = apps.get_model("crowd", name)
        model.objects.filter(
            worker__source="mturk", assignment__status__in=["accepted", "submitted", "returned"]
        ).update(verification="pending")


class Migration(migrations.Migration):
    dependencies = [
        ("crowd", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="classifyanswer",
            name="classify_one_answer_per_worker",
        ),
        migrations.RemoveConstraint(
            model_name="containsanswer",
            name="contains_one_answer_per_worker",
        ),
        migrations.AddField(
            model_name="classifyanswer",
            name="verification",
            field=verification_field(),
        ),
        migrations.AddField(
            model_name="containsanswer",
            name="verification",
            field=verification_field(),
        ),
        migrations.AlterField(
            model_name="assignment",
            name="external_id",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="MTurk AssignmentId (one per worker: whoever else names it is not the "
                "one MTurk gave it to, which the sync tells).",
                max_length=128,
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="assignment",
            constraint=models.UniqueConstraint(
                fields=("worker", "external_id"), name="assignment_unique_worker_external_id"
            ),
        ),
        migrations.AddConstraint(
            model_name="classifyanswer",
            constraint=models.UniqueConstraint(
                condition=models.Q(("verification", "confirmed")),
                fields=("task", "worker"),
                name="classify_one_answer_per_worker",
            ),
        ),
        migrations.AddConstraint(
            model_name="containsanswer",
            constraint=models.UniqueConstraint(
                condition=models.Q(("verification", "confirmed")),
                fields=("grid", "worker"),
                name="contains_one_answer_per_worker",
            ),
        ),
        migrations.AddIndex(
            model_name="containsanswer",
            index=models.Index(fields=["worker", "grid"], name="contains_answer_worker_grid"),
        ),
        # Last: data changes before schema changes in one PostgreSQL transaction can leave
        # pending trigger events that block the ALTER TABLEs.
        migrations.RunPython(unreviewed_mturk_answers_wait, migrations.RunPython.noop),
    ]
