"""Staff read a channel's name in their language where the channel has it in it."""

from __future__ import annotations

from django.utils import translation

from tipline.conftest import Setup


def test_a_channel_is_named_for_staff_in_their_language(org: Setup) -> None:
    """The queue's filter and rows, the report page and the PDF name a channel by str()."""
    from tipline.cases.forms import QueueFilterForm

    org.channel.translations = {"zh-hans": {"name": "网上举报"}}
    org.channel.save()
    with translation.override("zh-hans"):
        assert str(org.channel) == "网上举报"
        assert QueueFilterForm(None).channel_names[org.channel.pk] == "网上举报"
    with translation.override("en"):
        assert str(org.channel) == org.channel.name
        assert QueueFilterForm(None).channel_names[org.channel.pk] == org.channel.name
