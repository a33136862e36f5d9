from django.db import migrations

OLD, NEW = "intake.housekeeping", "register.housekeeping"


def rename_job_kind(apps, schema_editor):
    """The hourly housekeeping moved from intake to the register with its kind's name:
    its schedule and any job of it still waiting keep running under the new name."""
    schedule = apps.get_model("jobs", "PeriodicSchedule")
    job = apps.get_model("jobs", "Job")
    if schedule.objects.filter(kind=NEW).exists():
        schedule.objects.filter(kind=OLD).delete()
    else:
        schedule.objects.filter(kind=OLD).update(kind=NEW)
    waiting = job.objects.filter(kind=OLD, state__in=["queued", "running", "failed"])
    waiting.filter(dedupe_key=f"periodic:{OLD}").update(kind=NEW, dedupe_key=f"periodic:{NEW}")
    waiting.update(kind=NEW)


class Migration(migrations.Migration):
    dependencies = [
        ("register", "0002_move_tables"),
        ("jobs", "0002_job_verbose_name"),
    ]
    operations = [migrations.RunPython(rename_job_kind, migrations.RunPython.noop)]
