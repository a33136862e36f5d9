"""axe-core on every page a person reaches: the public channel, the reporter's form, receipt and
portal, the console, the call-taker's and the editors' pages, in English and in Chinese.

Each person's pages are found by following the links of the pages before (GET only, never a
download, a feed or the log-out), up to a bound per person and language, so a page added later
is checked without being listed here. Pages that only a POST shows (a refused send, the receipt)
are reached by doing what a person does. Any violation of any axe rule fails the test, with
each rule, its help and the first elements named. axe needs JavaScript in the page; the
journeys with JavaScript off check what works without it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page

from e2e import seed
from e2e.authenticator import Authenticator
from e2e.pages import LOGIN_PATH, SECOND_STEP_PATH
from e2e.server import TIPLINE, Deployment

pytestmark = pytest.mark.e2e

LANGUAGES = ("en", "zh-hans")
PAGES_PER_PERSON = 30
# Not pages: downloads, feeds and machine-readable files, the log-out, Django's own admin (not
# ours to restyle), and the language switch (a redirect, followed where it is needed).
NOT_A_PAGE = re.compile(
    r"(/logout|/log-out|/files/|/original\.eml|\.(pdf|csv|eml|json|xml|txt|svg|png|jpe?g)$|/feed|"
    r"/admin/|/i18n/|/language/|/media/|/static/|/sitemap|/robots)"
)
EDITOR = "a11yeditor"
_CREATE_EDITOR = """
import json, sys
from tipline.accounts import services
from tipline.accounts.testing import give_authenticator
from tipline.accounts.models import Role
data = json.loads(sys.stdin.read())
user = services.create_staff(username=data["username"], password=data["password"], roles=[Role.EDITOR], validate=False)
give_authenticator(user, key_hex=data["key"])
"""
_AXE = Axe()


@dataclass
class Findings:
    """Violations by page; the pages checked, to show the walk went where it should."""

    checked: list[str] = field(default_factory=list)
    violations: dict[str, list[str]] = field(default_factory=dict)

    def check(self, page: Page, label: str) -> None:
        name = f"{label} {urlsplit(page.url).path}"
        self.checked.append(name)
        results = _AXE.run(page)
        found = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
            for violation in results.response["violations"]
        ]
        found += _what_axe_misses(page)
        if found:
            self.violations[name] = found

    def report(self) -> str:
        return "\n".join(f"{page}\n  " + "\n  ".join(found) for page, found in self.violations.items())


def _luminance(rgb: str) -> float:
    """WCAG relative luminance of a CSS ``rgb(…)``/``rgba(…)`` colour."""
    red, green, blue = (int(part) / 255 for part in re.findall(r"[\d.]+", rgb)[:3])
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


_FOCUS_RING = """() => {
  // The first control the keyboard reaches in main (a hidden default button is never reached).
  const controls = 'main a[href], main button, main input:not([type=hidden]), main textarea';
  const target = [...document.querySelectorAll(controls)]
    .find(node => node.getClientRects().length > 0 && node.tabIndex >= 0 && !node.disabled);
  if (!target) return null;
  target.focus();
  const style = getComputedStyle(target);
  let node = target.parentElement, background = 'rgb(255, 255, 255)';
  for (; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && !colour.startsWith('rgba(0, 0, 0, 0)') && colour !== 'transparent') { background = colour; break; }
  }
  const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 ? style.outlineColor : null;
  target.blur();
  return {ring, background, what: target.outerHTML.slice(0, 60)};
}"""


_TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(node => node.getBoundingClientRect().right > 320.5 && ![...node.children].some(
    child => child.getBoundingClientRect().right > 320.5))
  .slice(0, 3).map(node => node.tagName.toLowerCase() + (node.className ? '.' + node.className : '')
    + (node.id ? '#' + node.id : ''))"""


def _what_axe_misses(page: Page) -> list[str]:
    """A focus ring under 3:1 against what is behind it, and a page wider than a 320 px phone."""
    problems = []
    focus = page.evaluate(_FOCUS_RING)
    if focus and (focus["ring"] is None or _contrast(focus["ring"], focus["background"]) < 3):
        problems.append(
            f"focus-ring: no visible ring at 3:1 on {focus['what']} ({focus['ring']} on {focus['background']})"
        )
    viewport = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            culprits = page.evaluate(_TOO_WIDE)
            problems.append(f"reflow: the page is {width} px wide on a 320 px screen, past it: {culprits}")
    finally:
        if viewport:
            page.set_viewport_size(viewport)
    return problems


def _shape(url: str) -> str:
    """Pages that differ only by a number or a query (a report, a page of the queue) are one."""
    parts = urlsplit(url)
    query = "&".join(sorted(item.split("=", 1)[0] for item in parts.query.split("&") if item))
    return re.sub(r"\d+|[A-Z0-9]{4,}(-[A-Z0-9]{4,})+", "N", parts.path) + "?" + query


def _walk(page: Page, starts: list[str], findings: Findings, label: str, *, within: tuple[str, ...] = ("/",)) -> None:
    origin = urlsplit(page.url or starts[0]).netloc
    queue, seen, checked = list(starts), set(), 0
    while queue and checked < PAGES_PER_PERSON:
        url = queue.pop(0)
        if _shape(url) in seen:
            continue
        seen.add(_shape(url))
        response = page.goto(url)
        if response is None or response.status >= 400 or "text/html" not in response.headers.get("content-type", ""):
            continue
        if urlsplit(page.url).netloc != origin or NOT_A_PAGE.search(urlsplit(page.url).path):
            continue
        findings.check(page, label)
        checked += 1
        for href in page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)"):
            target = href.split("#", 1)[0]
            path = urlsplit(target).path
            if target and urlsplit(target).netloc == origin and path.startswith(within) and not NOT_A_PAGE.search(path):
                queue.append(target)


def _in_language(context: BrowserContext, language: str) -> Page:
    page = context.new_page()
    page.goto(f"/language/{language}/?next=/")
    return page


@pytest.fixture(scope="module")
def editor(deployment: Deployment) -> tuple[str, Authenticator]:
    password = f"editor-{secrets.token_hex(8)}"
    authenticator = Authenticator()
    deployment.server.run_command(
        str(TIPLINE),
        "shell",
        "-c",
        _CREATE_EDITOR,
        stdin=json.dumps({"username": EDITOR, "password": password, "key": authenticator.key_hex}),
    )
    return password, authenticator


@pytest.fixture
def context(deployment: Deployment, browser: Browser) -> Iterator[BrowserContext]:
    created = browser.new_context(base_url=deployment.server.url, viewport={"width": 1280, "height": 800})
    try:
        yield created
    finally:
        created.close()


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_channel_and_the_reporters_pages(context: BrowserContext, language: str) -> None:
    findings = Findings()
    page = _in_language(context, language)
    prefix = "" if language == "en" else f"/{language}"
    starts = [f"{prefix}/", f"{prefix}/how-to-report/", "/report/", "/portal/"]
    _walk(page, [*starts, "/commendations/verify/", "/commendations/honour/", "/proof/verify/"], findings, "public")

    # A refused send (the browser's own check switched off, as without JavaScript), then a
    # send that goes through, its receipt, and the portal that receipt opens.
    page.goto(f"/report/{seed.A11Y_CHANNEL_SLUG}/")  # a form of its own: no journey counts its reports
    page.evaluate("document.querySelectorAll('form').forEach(form => form.noValidate = true)")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    findings.check(page, "refused send")
    page.locator("main textarea").first.fill("Cash was taken for a permit. 现金。")
    for required in page.locator("main [required]:not([type=file])").all():
        if required.get_attribute("type") in ("radio", "checkbox"):
            required.check()
        elif not required.input_value():
            required.fill("In the building office.")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/receipt/$"))
    findings.check(page, "receipt")
    receipt = page.locator("#receipt").inner_text().strip()
    page.goto("/portal/")
    findings.check(page, "portal log-in")
    page.locator("input[name=receipt]").fill(receipt)
    page.locator("input[name=receipt]").press("Enter")
    page.wait_for_url(re.compile(r"/portal/report/"))
    _walk(page, [page.url], findings, "portal", within=("/portal/",))

    assert len(findings.checked) >= 8, findings.checked
    assert not findings.violations, findings.report()


def _sign_in(page: Page, username: str, password: str, authenticator: Authenticator) -> None:
    """Both steps of the staff log-in, by the fields' names: the buttons speak the page's language."""
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path != LOGIN_PATH)
    if urlsplit(page.url).path == SECOND_STEP_PATH:
        page.locator("input[name=code]").fill(authenticator.code())
        page.locator("input[name=code]").press("Enter")
        page.wait_for_url(lambda url: urlsplit(url).path != SECOND_STEP_PATH)


STAFF_PAGES = {
    seed.HANDLER: ["/console/", "/staff/account/"],
    seed.SUPERVISOR: ["/console/"],
    seed.ADMIN: ["/console/", "/staff/account/"],
    seed.CALL_TAKER: ["/calls/"],
    seed.REWARD_OFFICER: ["/console/rewards/"],
}


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("username", [*STAFF_PAGES, EDITOR])
@pytest.mark.usefixtures("journey")  # a report with a conversation, so the case pages have content
def test_the_staff_pages(
    deployment: Deployment, context: BrowserContext, editor: tuple[str, Authenticator], username: str, language: str
) -> None:
    findings = Findings()
    page = _in_language(context, language)
    page.goto("/staff/login/")
    findings.check(page, "staff log-in")
    if username == EDITOR:
        password, authenticator = editor
        starts = ["/editor/"]
    else:
        password, authenticator = deployment.staff_password, deployment.authenticators[username]
        starts = STAFF_PAGES[username]
    _sign_in(page, username, password, authenticator)
    _walk(page, starts, findings, username, within=tuple(starts))
    assert len(findings.checked) >= 2, findings.checked  # the log-in and at least the first page
    assert not findings.violations, findings.report()


def test_the_checks_find_what_they_look_for(browser: Browser) -> None:
    """The checker itself: an image without a text, a faint focus ring and a wide table fail."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_content(
            '<html lang="en"><head><title>t</title><style>a:focus { outline: 3px solid #ffbf47 }</style></head>'
            '<body><main><h1>t</h1><a href="#x">link</a><img src="x.png">'
            '<div style="width: 900px">wide</div></main></body></html>'
        )
        findings = Findings()
        findings.check(page, "sample")
    finally:
        context.close()
    [found] = findings.violations.values()
    assert any(line.startswith("image-alt") for line in found), found
    assert any(line.startswith("focus-ring") for line in found), found
    assert any(line.startswith("reflow") for line in found), found
