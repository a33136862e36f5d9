"""The four sections every instance starts with, named in English and Simplified Chinese."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone

CATEGORIES = [
    ("news", 10, False, "News", "What we did and decided.", "新闻动态", "我们的工作与决定。"),
    ("education", 20, False, "Education", "Integrity explained for everyone.", "宣传教育", "人人看得懂的廉洁知识。"),
    (
        "typical-cases",
        30,
        True,
        "Typical cases",
        "Real cases, told so that others can learn from them.",
        "典型案例",
        "以真实案例警示教育。",
    ),
    ("law-explained", 40, False, "Law explained", "What the law says, in plain words.", "以案释法", "用通俗的话讲清法律规定。"),
]


def create(apps: Any, schema_editor: Any) -> None:
    Category = apps.get_model("publishing", "Category")
    CategoryText = apps.get_model("publishing", "CategoryText")
    PublicState = apps.get_model("publishing", "PublicState")
    for slug, order, is_case, name_en, desc_en, name_zh, desc_zh in CATEGORIES:
        category, created = Category.objects.get_or_create(
            slug=slug, defaults={"order": order, "is_case_category": is_case}
        )
        if created:
            CategoryText.objects.create(category=category, language="en", name=name_en, description=desc_en)
            CategoryText.objects.create(category=category, language="zh-hans", name=name_zh, description=desc_zh)
    PublicState.objects.get_or_create(pk=1, defaults={"version": 1, "changed_at": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [("publishing", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
