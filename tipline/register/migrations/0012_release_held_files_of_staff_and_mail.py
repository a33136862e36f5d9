"""Files of reports taken in by mail or entered by a call-taker that could not be cleaned
were held for a reporter's decision nobody could make, hidden from the handlers and swept
after a day. Those still held go to the handlers, marked as not cleaned (as such files
now do when they arrive)."""

from django.db import migrations

NOT_WEB = ["mailbox", "phone", "post", "meeting"]


def release(apps, schema_editor):
    attachment = apps.get_model("register", "Attachment")
    attachment.objects.filter(
        state="held", message__isnull=True, from_staff=False, report__channel__kind__in=NOT_WEB
    ).update(state="sent")


class Migration(migrations.Migration):
    dependencies = [("register", "0011_queue_indexes")]

    operations = [migrations.RunPython(release, migrations.RunPython.noop)]
