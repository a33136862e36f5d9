"""Channel texts saved from the admin before their line endings were made "\n"."""

from django.db import migrations

MULTI_LINE = ("description", "postal_address", "privacy_notice", "acknowledgement_text")


def _unix(text):
    return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else text


def forwards(apps, schema_editor):
    Channel = apps.get_model("register", "Channel")
    for channel in Channel.objects.all():
        changes = {name: _unix(getattr(channel, name)) for name in MULTI_LINE}
        translations = channel.translations if isinstance(channel.translations, dict) else {}
        changes["translations"] = {
            language: {field: _unix(text) for field, text in texts.items()} if isinstance(texts, dict) else texts
            for language, texts in translations.items()
        }
        Channel.objects.filter(pk=channel.pk).update(**changes)


class Migration(migrations.Migration):
    dependencies = [("register", "0026_mail_reply_state")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
