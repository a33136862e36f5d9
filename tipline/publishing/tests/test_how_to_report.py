"""“How to report”: every open channel of every kind with what a reporter needs and advice
on reporting safely that way, as a page and as JSON for other sites."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tipline.conftest import Setup
from tipline.publishing.export import export_site
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, FieldType, Question

CHANNEL_KEYS = {
    "slug", "kind", "kind_label", "name", "description", "form_url", "email_address", "postal_address",
    "phone_number", "hours", "languages", "advice", "translations",
}  # fmt: skip
DOCUMENT_KEYS = {"format", "language", "organisation", "page_url", "portal_url", "channels", "advice"}


@pytest.fixture
def channels(org: Setup) -> Setup:
    """Besides the web form: one channel of every other kind, a closed one, and mailbox settings."""
    org.channel.languages = "English"
    org.channel.save()
    mailbox = Channel.objects.create(
        slug="mail",
        name="Confidential mailbox",
        kind=ChannelKind.MAILBOX,
        email_address="tips@office.example.gov",
        imap_url="imaps://imap.office.example.gov:993",
        imap_user="tips-reader",
        imap_password_env="TIPLINE_SECRET_MAIL_VARIABLE",
        imap_done_folder="Taken-in",
    )
    mailbox.recipients.add(org.handler)
    Channel.objects.create(
        slug="hotline",
        name="Hotline",
        kind=ChannelKind.PHONE,
        phone_number="+44 20 7946 0000",
        hours="Weekdays, 9:00 to 17:00",
        languages="English, 中文",
    )
    Channel.objects.create(
        slug="letters", name="By letter", kind=ChannelKind.POST, postal_address="Integrity Office\nPO Box 12"
    )
    Channel.objects.create(
        slug="meet",
        name="Meet us",
        kind=ChannelKind.MEETING,
        description="Ask for a meeting in our offices or elsewhere.",
        phone_number="+44 20 7946 0001",
        postal_address="1 Main Street",
        languages="English, Français",
    )
    Channel.objects.create(slug="closed", name="Old hotline", kind=ChannelKind.PHONE, is_active=False)
    for channel in Channel.objects.exclude(kind=ChannelKind.MAILBOX):  # as the admin and the command do
        register.publish_questionnaire(channel=channel)
    return org


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.ids: list[str] = []
        self.scripts = 0
        self.inline_styles = 0
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self._tag = tag
        self.scripts += tag == "script"
        self.inline_styles += "style" in values or tag == "style"
        if values.get("id"):
            self.ids.append(str(values["id"]))

    def handle_data(self, data: str) -> None:
        if self._tag in {"h1", "h2", "h3", "h4"} and data.strip():
            self.headings.append(f"{self._tag} {data.strip()}")
        self._tag = ""


def _row(html: str, css_class: str) -> str:
    """One channel's row, up to the next row or the end of the list."""
    row = html[html.index(f'class="channel-row {css_class}"') :]
    following = row.find('<li class="channel-row')
    return row[: following if following > 0 else row.index('<p class="byline">This list')]


def _document(client: Client, url: str = "/how-to-report.json") -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200
    return dict(json.loads(response.content))


def test_the_page_lists_every_open_channel_with_what_a_reporter_needs(channels: Setup, client: Client) -> None:
    html = client.get("/how-to-report/").content.decode()
    assert "English" in _row(html, "channel-web")
    assert "tips@office.example.gov" in _row(html, "channel-mailbox")
    phone = _row(html, "channel-phone")
    assert '<a href="tel:+442079460000">+44 20 7946 0000</a>' in phone
    assert "Weekdays, 9:00 to 17:00" in phone
    assert "English, 中文" in phone
    post = _row(html, "channel-post")
    assert "<address>Integrity Office<br>PO Box 12</address>" in post
    meeting = _row(html, "channel-meeting")
    assert "Ask for a meeting in our offices or elsewhere." in meeting
    assert "To ask for a meeting, call" in meeting
    assert '<a href="tel:+442079460001">' in meeting
    assert "<address>1 Main Street</address>" in meeting
    assert "English, Français" in meeting
    assert "Old hotline" not in html


def test_each_way_in_has_its_own_advice_on_reporting_safely(channels: Setup, client: Client) -> None:
    html = client.get("/how-to-report/").content.decode()
    assert "Tor Browser" in _row(html, "channel-web")
    assert "E-mail is not confidential" in _row(html, "channel-mailbox")
    assert "call from a phone that is not linked to you" in _row(html, "channel-phone")
    assert "sender&#x27;s address" in _row(html, "channel-post")
    assert "not from work" in _row(html, "channel-meeting")


def _listed(client: Client, url: str = "/how-to-report/") -> tuple[str, list[str]]:
    """The page's text and the slugs its JSON copy lists."""
    html = client.get(url).content.decode()
    return html, [
        channel["slug"]
        for channel in _document(client, url.replace("/how-to-report/", "/how-to-report.json"))["channels"]
    ]


def test_a_channel_without_a_published_questionnaire_is_not_listed(org: Setup, client: Client) -> None:
    Channel.objects.create(slug="online", name="Second form", kind=ChannelKind.WEB)
    Channel.objects.create(slug="hotline", name="Hotline", kind=ChannelKind.PHONE, phone_number="+44 20 7946 0000")
    Channel.objects.create(slug="mail", name="Mailbox", kind=ChannelKind.MAILBOX, email_address="a@example.org")
    html, slugs = _listed(client)
    assert slugs == ["mail", "web"]  # a mailbox publishes its questionnaire with the first mail
    assert "Second form" not in html
    assert "Hotline" not in html
    online = Channel.objects.get(slug="online")
    register.publish_questionnaire(channel=online)
    assert "online" not in _listed(client)[1]  # a form that asks nothing would take an empty report
    assert client.get("/report/online/").status_code == 404
    Question.objects.create(channel=online, key="what", field_type=FieldType.LONG_TEXT, label="What happened?")
    register.publish_questionnaire(channel=online)
    html, slugs = _listed(client)
    assert "online" in slugs
    assert "Second form" in html
    assert client.get("/report/online/").status_code == 200


@pytest.mark.parametrize(
    ("kind", "details"),
    [
        (ChannelKind.PHONE, {"hours": "Weekdays", "postal_address": "PO Box 12"}),
        (ChannelKind.POST, {"email_address": "a@example.org", "phone_number": "+44 20 7946 0000"}),
        (ChannelKind.MAILBOX, {"phone_number": "+44 20 7946 0000", "description": "Write to us."}),
        (ChannelKind.MEETING, {"hours": "Weekdays", "languages": "English"}),
    ],
)
def test_a_channel_with_no_way_to_reach_it_is_left_out_of_the_page_and_the_json(
    org: Setup, client: Client, kind: str, details: dict[str, str]
) -> None:
    channel = Channel.objects.create(slug="unreachable", name="Nowhere to reach", kind=kind, **details)
    register.publish_questionnaire(channel=channel)
    for url in ("/how-to-report/", "/zh-hans/how-to-report/"):
        html, slugs = _listed(client, url)
        assert slugs == ["web"]
        assert "Nowhere to reach" not in html


def test_a_meeting_that_says_only_in_its_description_how_to_ask_is_listed(org: Setup, client: Client) -> None:
    channel = Channel.objects.create(
        slug="meet", name="Meet us", kind=ChannelKind.MEETING, description="Ask at the front desk of any office."
    )
    register.publish_questionnaire(channel=channel)
    html, slugs = _listed(client)
    assert "meet" in slugs
    assert "Ask at the front desk of any office." in _row(html, "channel-meeting")


def test_a_mailbox_for_letters_only_gets_the_advice_for_letters(org: Setup, client: Client) -> None:
    Channel.objects.create(slug="mail", name="Mailbox", kind=ChannelKind.MAILBOX, postal_address="PO Box 12")
    Channel.objects.create(
        slug="both", name="Both", kind=ChannelKind.MAILBOX, email_address="a@example.org", postal_address="PO Box 13"
    )
    found = {channel["slug"]: channel["advice"] for channel in _document(client)["channels"]}
    assert not any("e-mail" in line.lower() for line in found["mail"])
    assert any("sender's address" in line for line in found["mail"])
    assert any("E-mail is not confidential" in line for line in found["both"])
    assert any("sender's address" in line for line in found["both"])


def test_the_page_has_a_clear_outline_and_needs_no_script(channels: Setup, client: Client) -> None:
    outline = _Outline()
    outline.feed(client.get("/how-to-report/").content.decode())
    assert outline.headings[:2] == ["h1 How to report", "h2 Ways to reach us"]
    assert {"h3 Hotline", "h3 By letter", "h3 Meet us", "h3 Confidential mailbox"} <= set(outline.headings)
    assert outline.headings.count("h4 Reporting safely this way") == 5
    assert len(outline.ids) == len(set(outline.ids))
    assert outline.scripts == outline.inline_styles == 0


def test_the_page_links_its_json_copy(channels: Setup, client: Client) -> None:
    html = client.get("/zh-hans/how-to-report/").content.decode()
    assert '<link rel="alternate" type="application/json"' in html
    assert 'href="/zh-hans/how-to-report.json"' in html


def test_the_json_lists_every_open_channel_with_its_fields(channels: Setup, client: Client) -> None:
    response = client.get("/how-to-report.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.cookies
    document = json.loads(response.content)
    assert set(document) == DOCUMENT_KEYS
    assert document["format"] == 1
    assert document["language"] == "en"
    assert document["page_url"] == "https://tips.example.org/how-to-report/"
    assert document["portal_url"].startswith("https://tips.example.org/language/en/?next=")
    found = {channel["slug"]: channel for channel in document["channels"]}
    assert list(found) == ["letters", "mail", "hotline", "meet", "web"]  # the admin's order, then the name
    assert all(set(channel) == CHANNEL_KEYS for channel in found.values())
    assert found["web"]["form_url"] == "https://tips.example.org/language/en/?next=%2Freport%2Fweb%2F"
    assert found["mail"]["email_address"] == "tips@office.example.gov"
    assert (found["hotline"]["phone_number"], found["hotline"]["languages"]) == ("+44 20 7946 0000", "English, 中文")
    assert found["hotline"]["hours"] == "Weekdays, 9:00 to 17:00"
    assert (found["hotline"]["kind"], found["hotline"]["kind_label"]) == ("phone", "Phone")
    assert found["letters"]["postal_address"] == "Integrity Office\nPO Box 12"
    assert found["meet"]["description"] == "Ask for a meeting in our offices or elsewhere."
    assert all(channel["advice"] for channel in found.values())
    assert any("Tor Browser" in line for line in document["advice"])


def test_the_json_holds_no_mailbox_settings_recipients_or_closed_channels(channels: Setup, client: Client) -> None:
    body = client.get("/how-to-report.json").content.decode()
    for secret in ("imap", "tips-reader", "TIPLINE_SECRET_MAIL_VARIABLE", "Taken-in", "handler", "Old hotline"):
        assert secret not in body, secret
    assert "recipients" not in body


def test_the_json_answers_in_the_language_of_its_address(channels: Setup, client: Client) -> None:
    english = _document(client)
    response = client.get("/zh-hans/how-to-report.json")
    assert response["Content-Language"] == "zh-hans"
    chinese = json.loads(response.content)
    assert chinese["language"] == "zh-Hans"
    assert chinese["page_url"] == "https://tips.example.org/zh-hans/how-to-report/"
    assert chinese["advice"][-1].startswith("如果您目前处于危险之中")
    assert chinese["advice"] != english["advice"]
    hotline = next(channel for channel in chinese["channels"] if channel["slug"] == "hotline")
    assert hotline["kind_label"] == "电话"
    assert hotline["phone_number"] == "+44 20 7946 0000"


def test_the_json_is_cached_like_the_page_and_follows_changes(channels: Setup, client: Client) -> None:
    first = client.get("/how-to-report.json")
    assert "public" in first["Cache-Control"]
    again = client.get("/how-to-report.json", headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again["Access-Control-Allow-Origin"] == "*"
    cached = client.get("/how-to-report.json")
    assert cached.content == first.content
    assert cached["Content-Type"] == "application/json; charset=utf-8"
    assert cached["Access-Control-Allow-Origin"] == "*"
    Channel.objects.filter(slug="mail").get().delete()  # one with no questionnaire yet: deletable
    assert "tips@office.example.gov" not in client.get("/how-to-report.json").content.decode()


def test_with_no_open_channel_the_json_is_an_empty_list(db: None, client: Client) -> None:
    document = _document(client)
    assert document["channels"] == []
    assert document["advice"]


def test_the_static_export_holds_the_json_with_links_to_the_live_site(channels: Setup, tmp_path: Path) -> None:
    export_site(directory=tmp_path / "out", base_url="https://static.example.org", live_url="https://tips.example.org")
    document = json.loads((tmp_path / "out/how-to-report.json").read_text())
    assert document["page_url"] == "https://static.example.org/how-to-report/"
    web = next(channel for channel in document["channels"] if channel["slug"] == "web")
    assert web["form_url"].startswith("https://tips.example.org/language/en/")


def test_a_channel_is_named_in_the_readers_language_with_a_marked_fallback(channels: Setup, client: Client) -> None:
    hotline = Channel.objects.get(slug="hotline")
    hotline.translations = {"zh-hans": {"name": "举报热线"}}
    hotline.description = "Call us any weekday."
    hotline.save()
    chinese = client.get("/zh-hans/how-to-report/").content.decode()
    assert "举报热线" in chinese
    assert '<span lang="en">Call us any weekday.</span>' in chinese  # not translated: marked
    assert 'class="untranslated-note"' in chinese  # and said so, in words, as the form does
    english = client.get("/how-to-report/").content.decode()
    assert "举报热线" not in english
    assert 'class="untranslated-note"' not in english
    document = json.loads(client.get("/zh-hans/how-to-report.json").content)
    row = next(channel for channel in document["channels"] if channel["slug"] == "hotline")
    assert row["name"] == "举报热线"
    assert row["description"] == "Call us any weekday."
    assert row["translations"] == {
        "en": {"name": "Hotline", "description": "Call us any weekday.", "hours": "Weekdays, 9:00 to 17:00"},
        "zh-Hans": {"name": "举报热线"},
    }


def test_the_hours_and_the_address_are_shown_in_the_readers_language(channels: Setup, client: Client) -> None:
    hotline = Channel.objects.get(slug="hotline")
    hotline.translations = {"zh-hans": {"hours": "工作日 9:00 至 17:00"}}
    hotline.save()
    letters = Channel.objects.get(slug="letters")
    letters.translations = {"zh-hans": {"postal_address": "廉政办公室\n邮政信箱 12"}}
    letters.save()
    chinese = client.get("/zh-hans/how-to-report/").content.decode()
    assert "工作日 9:00 至 17:00" in chinese
    assert "邮政信箱 12" in chinese
    english = client.get("/how-to-report/").content.decode()
    assert "工作日" not in english
    assert "Weekdays, 9:00 to 17:00" in english
    document = json.loads(client.get("/zh-hans/how-to-report.json").content)
    rows = {channel["slug"]: channel for channel in document["channels"]}
    assert rows["hotline"]["hours"] == "工作日 9:00 至 17:00"
    assert rows["letters"]["postal_address"] == "廉政办公室\n邮政信箱 12"
    assert rows["hotline"]["translations"]["zh-Hans"] == {"hours": "工作日 9:00 至 17:00"}


def test_an_untranslated_address_is_marked_with_its_language(channels: Setup, client: Client) -> None:
    chinese = client.get("/zh-hans/how-to-report/").content.decode()
    letters = '<address><span lang="en">Integrity Office<br>PO Box 12</span></address>'
    assert letters in _row(chinese, "channel-post")
    assert '<address><span lang="en">1 Main Street</span></address>' in _row(chinese, "channel-meeting")
    english = client.get("/how-to-report/").content.decode()
    assert "<address>Integrity Office<br>PO Box 12</address>" in _row(english, "channel-post")


def test_hours_set_for_a_channel_of_any_kind_are_on_the_page_as_in_the_json(channels: Setup, client: Client) -> None:
    """The JSON holds only what the page shows: hours written for a mailbox, a post box, the
    web form or a meeting with nothing else to say are shown too."""
    for channel in Channel.objects.filter(slug__in=["mail", "letters", "meet"]):
        channel.hours = f"Read on weekdays ({channel.slug})"
        if channel.slug == "meet":  # nothing but its hours and the offer of a meeting
            channel.phone_number = channel.postal_address = channel.languages = ""
        channel.save()
    channels.channel.hours = "Answered on weekdays (web)"
    channels.channel.save()
    html = client.get("/how-to-report/").content.decode()
    assert "Read on weekdays (mail)" in _row(html, "channel-mailbox")
    assert "Read on weekdays (letters)" in _row(html, "channel-post")
    assert "Read on weekdays (meet)" in _row(html, "channel-meeting")
    assert "Answered on weekdays (web)" in _row(html, "channel-web")
    hours = {channel["slug"]: channel["hours"] for channel in _document(client)["channels"]}
    assert all(text in html for text in hours.values() if text)


def test_a_postal_address_typed_in_a_browser_is_published_with_its_lines_ended_by_a_line_feed(
    channels: Setup, client: Client
) -> None:
    """A textarea sends its lines ended by CR LF: the JSON promises "\\n" alone."""
    letters = Channel.objects.get(slug="letters")
    letters.postal_address = "Integrity Office\r\nPO Box 12\r1000 City"
    letters.translations = {"zh-hans": {"postal_address": "廉政办公室\r\n12 号信箱"}}
    letters.save()
    [entry] = [c for c in _document(client)["channels"] if c["slug"] == "letters"]
    assert entry["postal_address"] == "Integrity Office\nPO Box 12\n1000 City"
    assert entry["translations"]["zh-Hans"]["postal_address"] == "廉政办公室\n12 号信箱"
    assert (
        "<address>Integrity Office<br>PO Box 12<br>1000 City</address>"
        in client.get("/how-to-report/").content.decode()
    )
