"""The official channel, end to end: an editor writes, a reviewer publishes, a reader finds the
article on the home page, in search and in the Atom feed, subscribes, confirms through the link
in the e-mail, gets the next article by e-mail and unsubscribes in one click.

The reader's browser runs with JavaScript off. E-mail goes through ``tipline worker --once``
(the job runner) to a real SMTP server (aiosmtpd) on this machine.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import feedparser
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.authenticator import Authenticator
from e2e.pages import LOGIN_PATH, SECOND_STEP_PATH
from e2e.server import REPO_ROOT, TIPLINE, Deployment
from tipline.testing import Mailbox, smtp_server, text_of

pytestmark = pytest.mark.e2e

WRITER, REVIEWER = "writer", "reviewer"
READER_ADDRESS = "reader@example.net"
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


def _label(text: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(text)}:?$")


@dataclass
class Newsroom:
    deployment: Deployment
    password: str
    authenticators: dict[str, Authenticator]
    mailbox: Mailbox
    smtp_port: int

    def run_worker(self) -> None:
        """``tipline worker --once`` in the server's environment, with mail to our SMTP server."""
        environment = {
            **self.deployment.server.environment(),
            "TIPLINE_SMTP_HOST": "127.0.0.1",
            "TIPLINE_SMTP_PORT": str(self.smtp_port),
        }
        subprocess.run(
            [str(TIPLINE), "worker", "--once"], env=environment, cwd=REPO_ROOT, check=True, capture_output=True
        )


@pytest.fixture(scope="module")
def newsroom(deployment: Deployment) -> Iterator[Newsroom]:
    """Two editors with known passwords and authenticator apps, and an SMTP server for the reader."""
    password = f"newsroom-{secrets.token_hex(8)}"
    authenticators = {WRITER: Authenticator(), REVIEWER: Authenticator()}
    keys = {name: app.key_hex for name, app in authenticators.items()}
    deployment.server.run_command(
        str(TIPLINE), "shell", "-c", _CREATE_EDITORS, stdin=json.dumps({"password": password, "keys": keys})
    )
    with smtp_server() as (mailbox, port):
        yield Newsroom(deployment, password, authenticators, mailbox, port)


class EditorDesk:
    """An editor's browser, logged in, working in the editors' pages."""

    def __init__(self, context: BrowserContext, newsroom: Newsroom, username: str) -> None:
        page = self.page = context.new_page()
        page.goto("/editor/")  # the staff log-in, which then returns to the editors' pages
        assert urlsplit(page.url).path == LOGIN_PATH
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(newsroom.password)
        page.get_by_role("button", name="Log in", exact=True).click()
        page.wait_for_url(lambda url: urlsplit(url).path != LOGIN_PATH)
        if urlsplit(page.url).path == SECOND_STEP_PATH:
            page.locator("input[name=code]").fill(newsroom.authenticators[username].code())
            page.get_by_role("button", name="Continue", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Articles")

    def write(self, *, title: str, summary: str, body: str, tags: str) -> None:
        page = self.page
        page.goto("/editor/articles/new/")
        page.get_by_label(_label("Title")).fill(title)
        page.get_by_label(_label("Language of the article")).select_option(label="English")
        page.get_by_label(_label("Category")).select_option(label="News")
        page.get_by_label(_label("Summary")).fill(summary)
        page.get_by_label(_label("Text")).fill(body)
        page.get_by_label(_label("Tags")).fill(tags)
        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        page.get_by_role("button", name="Send for review").click()
        expect(page.locator(".state-line")).to_contain_text("In review")

    def cannot_publish_own(self) -> None:
        expect(self.page.get_by_role("button", name="Publish now")).to_have_count(0)
        expect(self.page.get_by_text("another editor must review and publish it")).to_be_visible()

    def publish(self, title: str) -> None:
        page = self.page
        page.goto("/editor/")
        page.get_by_role("region", name="Waiting for your review").get_by_role("link", name=title).click()
        page.get_by_role("button", name="Publish now").click()
        expect(page.locator(".state-line")).to_contain_text("Published")


# ---------------------------------------------------------------- the reader (JavaScript off)


class Reader:
    def __init__(self, browser: Browser, base_url: str) -> None:
        self.context = browser.new_context(base_url=base_url, java_script_enabled=False)
        self.page = self.context.new_page()

    def finds_on_the_home_page(self, title: str) -> None:
        # Each server process trusts the public version it read for up to a second
        # (TIPLINE_PUBLIC_STAMP_SECONDS), so a page may lag a publication that long.
        link = self.page.get_by_role("main").get_by_role("link", name=title)
        deadline = time.monotonic() + 5
        while True:
            self.page.goto("/")
            if link.count() or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        expect(link).to_be_visible()

    def finds_by_search(self, words: str, title: str) -> None:
        self.page.get_by_label("Search articles").fill(words)
        self.page.get_by_role("main").get_by_role("button", name="Search").click()
        expect(self.page.get_by_role("main").get_by_role("link", name=title)).to_be_visible()

    def finds_in_the_atom_feed(self, title: str) -> None:
        parsed = feedparser.parse(self.context.request.get("/feeds/atom.xml").body())
        assert not parsed.bozo
        assert title in [entry.title for entry in parsed.entries]

    def subscribes(self) -> None:
        page = self.page
        page.goto("/")
        page.get_by_role("contentinfo").get_by_role("link", name="Subscribe by e-mail").click()
        page.get_by_label(_label("Your e-mail address")).fill(READER_ADDRESS)
        page.get_by_label("Each new article, when it is published").check()
        page.get_by_role("button", name="Subscribe", exact=True).click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    def confirms(self, confirmation: EmailMessage) -> None:
        link = re.search(r"http://\S+/subscriptions/confirm/\S+/", text_of(confirmation))
        assert link, text_of(confirmation)
        self.page.goto(link.group(0))
        self.page.get_by_role("button", name="Yes, confirm my subscription").click()
        expect(self.page.get_by_role("heading", name="You are subscribed")).to_be_visible()

    def unsubscribes_in_one_click(self, news: EmailMessage) -> None:
        assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = news["List-Unsubscribe"].strip().strip("<>")
        assert url in text_of(news), "the same link is in the message for people"
        self.page.goto(url)
        self.page.get_by_role("button", name="Unsubscribe").click()
        expect(self.page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()


# ---------------------------------------------------------------- the journey


def test_editor_reviewer_reader_subscriber(deployment: Deployment, browser: Browser, newsroom: Newsroom) -> None:
    base_url = deployment.server.url
    marker = secrets.token_hex(4)
    first, second, third = (f"{words} {marker}" for words in ("Harbour contracts under review",
                            "Audit of the harbour fund", "Harbour review closed"))  # fmt: skip
    writer_context, reviewer_context = browser.new_context(base_url=base_url), browser.new_context(base_url=base_url)
    reader = Reader(browser, base_url)
    try:
        writer = EditorDesk(writer_context, newsroom, WRITER)
        reviewer = EditorDesk(reviewer_context, newsroom, REVIEWER)

        # An editor writes; the writer may not publish their own article; a reviewer does.
        writer.write(
            title=first,
            summary="The harbour authority's contracts are being reviewed.",
            body=f"The review covers **all contracts** signed since 2020. Reference {marker}.",
            tags="harbour, contracts",
        )
        writer.cannot_publish_own()
        reviewer.publish(first)

        # The reader finds it on the home page, in search and in the Atom feed.
        reader.finds_on_the_home_page(first)
        reader.finds_by_search(f"harbour {marker}", first)
        reader.finds_in_the_atom_feed(first)

        # The reader subscribes and confirms through the link in the e-mail.
        reader.subscribes()
        newsroom.run_worker()
        (confirmation,) = newsroom.mailbox.to(READER_ADDRESS)
        reader.confirms(confirmation)

        # The next article arrives by e-mail; one click unsubscribes.
        writer.write(title=second, summary="The fund was audited.", body="The audit found gaps.", tags="harbour")
        reviewer.publish(second)
        newsroom.run_worker()
        news = newsroom.mailbox.to(READER_ADDRESS)[-1]
        assert news["Subject"] == second
        reader.unsubscribes_in_one_click(news)

        # Nothing more is sent to the reader.
        writer.write(title=third, summary="The review is closed.", body="Closed.", tags="harbour")
        reviewer.publish(third)
        newsroom.run_worker()
        assert [m["Subject"] for m in newsroom.mailbox.to(READER_ADDRESS)] == ["Confirm your subscription", second]
    finally:
        for context in (writer_context, reviewer_context, reader.context):
            context.close()
