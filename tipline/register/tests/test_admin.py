"""The channel admin speaks the staff member's language."""

from __future__ import annotations

from django.contrib import admin
from django.utils import translation

from tipline.conftest import Setup
from tipline.register.admin import ChannelAdmin
from tipline.register.models import Channel


def test_the_published_questionnaire_is_named_in_the_staff_language(org: Setup) -> None:
    channel = Channel.objects.get(slug="web")
    number = channel.current_questionnaire().number  # type: ignore[union-attr]
    channel_admin = ChannelAdmin(Channel, admin.site)
    with translation.override("en"):
        assert channel_admin.questionnaire_version(channel) == f"version {number}"
    with translation.override("zh-hans"):
        assert channel_admin.questionnaire_version(channel) == f"第 {number} 版"
        assert str(ChannelAdmin.questionnaire_version.short_description) == "已发布的问卷"  # type: ignore[attr-defined]
        assert channel_admin.questionnaire_version(Channel(name="new")) == "尚无"
