"""A Chinese reader's form (JavaScript off), and an editor's correction of a published article.

1. A reader who chose Chinese reads the channel's name, its privacy notice, the questions,
   their help texts and options in Chinese; what is not translated yet is shown in English,
   marked ``lang="en"`` so that a screen reader switches voice.
2. An editor starts a new revision of a published article; the public page keeps the
   published text while the revision is written and reviewed; the writer cannot approve it;
   once another editor approves, the public page shows the new text.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from e2e import seed
from e2e.authenticator import Authenticator
from e2e.pages import LOGIN_PATH, SECOND_STEP_PATH
from e2e.server import TIPLINE, Deployment

pytestmark = pytest.mark.e2e


def _label(text: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(text)}:?$")


def _question(text: str) -> re.Pattern[str]:
    """A question's label, marked as required (in the page's language and its brackets) or not."""
    return re.compile(rf"^{re.escape(text)}( [(\uff08].+[)\uff09])?$")


# ---------------------------------------------------------------- a Chinese reader (JavaScript off)


class ChineseReportForm:
    """The web form, reached by choosing 中文 on the site (the language is kept in a cookie)."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.context = browser.new_context(base_url=base_url, java_script_enabled=False)
        self.page = self.context.new_page()
        self.page.goto(f"/language/zh-hans/?next=/report/{seed.CHANNEL_SLUG}/")

    def heading(self) -> str:
        return self.page.get_by_role("heading", level=1).inner_text()

    def fallback(self, text: str) -> str | None:
        """The ``lang`` of the element that holds an untranslated ``text``."""
        marked = self.page.get_by_role("main").locator("[lang]", has_text=text)
        return marked.first.get_attribute("lang") if marked.count() else None


def test_a_chinese_reader_reads_the_form_in_chinese_with_javascript_off(
    deployment: Deployment, browser: Browser
) -> None:
    form = ChineseReportForm(browser, deployment.server.url)
    page = form.page
    try:
        assert form.heading() == seed.CHANNEL_NAME_ZH
        main = page.get_by_role("main")
        main.locator(".privacy-summary details summary").click()  # the full notice, one click away
        expect(main.get_by_text(seed.PRIVACY_NOTICE_ZH)).to_be_visible()
        expect(page.get_by_label(_question(seed.WHAT_LABEL_ZH))).to_be_visible()
        expect(main.get_by_text(seed.WHAT_HELP_ZH)).to_be_visible()
        expect(main.get_by_text(seed.KIND_LABEL_ZH)).to_be_visible()
        for option in seed.KIND_CHOICES_ZH:
            expect(page.get_by_label(option, exact=True)).to_be_visible()
        expect(page.get_by_label(seed.FILES_LABEL_ZH)).to_be_visible()
        for english in (seed.CHANNEL_NAME, seed.PRIVACY_NOTICE, seed.WHAT_LABEL, *seed.KIND_CHOICES):
            expect(main.get_by_text(english, exact=True)).to_have_count(0)
        # Not translated yet: in English, marked so that a screen reader reads it in English.
        assert form.fallback(seed.WHERE_LABEL) == "en"
        assert form.fallback(deployment.public_note) == "en"
        expect(page.locator(".untranslated-note")).to_be_visible()
        assert page.locator("html").get_attribute("lang") in {"zh-hans", "zh-Hans"}
        # The options keep the stored value whatever the language read.
        assert page.get_by_label(seed.KIND_CHOICES_ZH[0], exact=True).get_attribute("value") == seed.KIND_CHOICES[0]
    finally:
        form.context.close()


# ---------------------------------------------------------------- a correction of a published article

WRITER, CHECKER = "corrector", "checker"
_CREATE_EDITORS = """
import json, sys
from tipline.accounts import services
from tipline.accounts.testing import give_authenticator
from tipline.accounts.models import Role
data = json.loads(sys.stdin.read())
for username, key in data["keys"].items():
    user = services.create_staff(username=username, password=data["password"], roles=[Role.EDITOR], validate=False)
    give_authenticator(user, key_hex=key)
"""


@dataclass
class Editors:
    password: str
    authenticators: dict[str, Authenticator]


@pytest.fixture(scope="module")
def editors(deployment: Deployment) -> Editors:
    password = f"revisions-{secrets.token_hex(8)}"
    authenticators = {WRITER: Authenticator(), CHECKER: Authenticator()}
    keys = {name: app.key_hex for name, app in authenticators.items()}
    deployment.server.run_command(
        str(TIPLINE), "shell", "-c", _CREATE_EDITORS, stdin=json.dumps({"password": password, "keys": keys})
    )
    return Editors(password, authenticators)


class Desk:
    """An editor's browser in the editors' pages."""

    def __init__(self, context: BrowserContext, editors: Editors, username: str) -> None:
        page = self.page = context.new_page()
        page.goto("/editor/")
        assert urlsplit(page.url).path == LOGIN_PATH
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(editors.password)
        page.get_by_role("button", name="Log in", exact=True).click()
        page.wait_for_url(lambda url: urlsplit(url).path != LOGIN_PATH)
        if urlsplit(page.url).path == SECOND_STEP_PATH:
            page.locator("input[name=code]").fill(editors.authenticators[username].code())
            page.get_by_role("button", name="Continue", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Articles")

    def write(self, *, title: str, body: str) -> None:
        page = self.page
        page.goto("/editor/articles/new/")
        page.get_by_label(_label("Title")).fill(title)
        page.get_by_label(_label("Language of the article")).select_option(label="English")
        page.get_by_label(_label("Category")).select_option(label="News")
        page.get_by_label(_label("Summary")).fill("A summary.")
        page.get_by_label(_label("Text")).fill(body)
        page.get_by_role("button", name="Save draft").click()
        page.get_by_role("button", name="Send for review").click()
        expect(page.locator(".state-line")).to_contain_text("In review")

    def publish(self, title: str) -> str:
        page = self.page
        page.goto("/editor/")
        page.get_by_role("region", name="Waiting for your review").get_by_role("link", name=title).click()
        page.get_by_role("button", name="Publish now").click()
        expect(page.locator(".state-line")).to_contain_text("Published")
        return str(page.get_by_role("link", name="View on the public site").get_attribute("href"))

    def start_revision(self, title: str, *, body: str) -> None:
        page = self.page
        page.goto("/editor/")
        page.get_by_role("region", name="Articles you wrote").get_by_role("link", name=title).click()
        page.get_by_role("button", name=re.compile("start a new revision")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("New revision of")
        page.get_by_label(_label("Text")).fill(body)
        page.get_by_label(_label("What changed and why (for the revision history)")).fill("Corrected the amount")
        page.get_by_role("button", name="Save the revision").click()
        expect(page.get_by_text("Revision saved.")).to_be_visible()
        page.get_by_role("button", name="Send for review").click()
        expect(page.locator(".state-line")).to_contain_text("In review")

    def cannot_approve_own(self) -> None:
        expect(self.page.get_by_role("button", name="Approve and publish")).to_have_count(0)
        expect(self.page.get_by_text("another editor must review it").first).to_be_visible()

    def approve(self, title: str) -> None:
        page = self.page
        page.goto("/editor/")
        page.get_by_role("region", name="Waiting for your review").get_by_role("link", name=title).click()
        page.get_by_role("button", name="Approve and publish").click()
        expect(page.locator(".state-line")).to_contain_text("Approved")


def _public_text(browser: Browser, base_url: str, path: str, expected: str) -> str:
    """The public article's text, as a new reader (JavaScript off, nothing in the browser's
    cache: a public page may be kept there for a minute) gets it once it holds ``expected``,
    or after a few seconds (each process trusts the public version it read for up to a second)."""
    deadline = time.monotonic() + 5
    while True:
        reader = browser.new_context(base_url=base_url, java_script_enabled=False)
        try:
            page = reader.new_page()
            page.goto(path)
            text = page.get_by_role("main").inner_text()
        finally:
            reader.close()
        if expected in text or time.monotonic() > deadline:
            return text
        time.sleep(0.25)


def test_a_published_article_stays_up_until_another_editor_approves_its_revision(
    deployment: Deployment, browser: Browser, editors: Editors
) -> None:
    base_url = deployment.server.url
    marker = secrets.token_hex(4)
    title = f"Port authority accounts {marker}"
    writer_context, checker_context = browser.new_context(base_url=base_url), browser.new_context(base_url=base_url)
    try:
        writer, checker = Desk(writer_context, editors, WRITER), Desk(checker_context, editors, CHECKER)
        writer.write(title=title, body="The accounts show a gap of 1 million.")
        path = checker.publish(title)
        assert "1 million" in _public_text(browser, base_url, path, "1 million")

        writer.start_revision(title, body="The accounts show a gap of 2 million.")
        writer.cannot_approve_own()
        text = _public_text(browser, base_url, path, "1 million")
        assert "1 million" in text
        assert "2 million" not in text

        checker.approve(title)
        text = _public_text(browser, base_url, path, "2 million")
        assert "2 million" in text
        assert "1 million" not in text
    finally:
        for context in (writer_context, checker_context):
            context.close()
