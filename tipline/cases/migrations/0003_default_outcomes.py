from __future__ import annotations

from typing import Any

from django.db import migrations

OUTCOMES = [
    ("substantiated", "Substantiated", "The facts were confirmed."),
    ("unsubstantiated", "Unsubstantiated", "The facts could not be confirmed."),
    ("out_of_scope", "Out of scope", "Not a matter this channel handles."),
    ("referred", "Referred to another authority", "Passed to the competent authority."),
    ("malicious", "Malicious report", "Knowingly false; the people reported on are protected."),
]


def add_outcomes(apps: Any, schema_editor: Any) -> None:
    outcome = apps.get_model("cases", "Outcome")
    for order, (code, name, description) in enumerate(OUTCOMES):
        outcome.objects.get_or_create(code=code, defaults={"name": name, "description": description, "order": order})


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]
    operations = [migrations.RunPython(add_outcomes, migrations.RunPython.noop)]
