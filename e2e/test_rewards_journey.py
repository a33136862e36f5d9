"""Rewards, commendation and proof of reporting, through the real pages: a handler proposes
an award on a closed report, the reward officer (another person) approves it, the reporter
(JavaScript off) claims it anonymously by bank transfer, accepts a commendation and downloads
a signed proof of reporting; the officer records the payment, the reporter sees it, and anyone
checks the certificate's code and the proof's signature on the public pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e import seed
from e2e.markers import unique
from e2e.pages import HomePage, QueuePage, StaffLoginPage, _label
from e2e.server import Deployment

pytestmark = pytest.mark.e2e

AMOUNT = "800"


@dataclass(frozen=True)
class RewardsRecord:
    reference: str
    proposer_approving_own: int
    proposer_approving_own_told: str
    state_after_approval: str
    reporter_sees_award: str
    bank_details_shown_to_officer: str
    reporter_sees_payment: str
    payment_reference: str
    certificate_pdf_starts: bytes
    code_check: str
    alias: str
    proof_check: str
    proof_text: str
    bank_marker: str


def _staff(browser: Browser, deployment: Deployment, username: str) -> Page:
    context = browser.new_context(base_url=deployment.server.url)
    StaffLoginPage.open(context.new_page()).sign_in(
        username, deployment.staff_password, deployment.authenticators[username]
    )
    return context.pages[0]


def _reporter(browser: Browser, deployment: Deployment) -> BrowserContext:
    """JavaScript off, on a 320 px wide screen."""
    return browser.new_context(
        base_url=deployment.server.url,
        java_script_enabled=False,
        accept_downloads=True,
        viewport={"width": 320, "height": 900},
    )


def _send_report(browser: Browser, deployment: Deployment) -> str:
    context = _reporter(browser, deployment)
    try:
        form = HomePage.open(context.new_page()).choose_report_form(seed.REWARD_CHANNEL_NAME)
        form.answer(seed.WHAT_LABEL, f"Invoices were doubled. {unique('REWARDWHATmarker')}")
        form.choose(seed.KIND_CHOICES[1])
        return form.send().receipt()
    finally:
        context.close()


def _close_and_propose(handler: Page) -> str:
    queue = QueuePage.open(handler)
    case = queue.open_the_only_report()
    reference = handler.locator("h1").inner_text().split()[-1]
    case.acknowledge()
    case.close(outcome="Substantiated", reason="Confirmed by audit")
    handler.get_by_role("link", name="Rewards and commendation", exact=True).click()
    handler.get_by_label(_label("Amount")).fill(AMOUNT)
    handler.get_by_label(_label("Reason")).fill("Saved public money")
    handler.get_by_role("button", name="Propose", exact=True).click()
    expect(handler.get_by_text("The award was proposed.")).to_be_visible()
    return reference


def _portal(context: BrowserContext, receipt: str) -> Page:
    portal = HomePage.open(context.new_page()).go_to_check_your_report().log_in(receipt)
    portal.page.get_by_role("link", name=re.compile("^Claim an award")).click()
    return portal.page


def _claim_and_accept(page: Page, *, bank: str, alias: str) -> tuple[str, str, bytes, str]:
    """The reporter claims by bank transfer, accepts the commendation, downloads both documents."""
    reporter_sees_award = page.get_by_role("region", name="Awards").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "the rewards page scrolls sideways at 320 px"
    page.get_by_label("Bank transfer").check()
    page.get_by_label(re.compile("^Bank details")).fill(bank)
    page.get_by_role("button", name="Send my choice", exact=True).click()
    expect(page.get_by_text("Your claim is recorded.")).to_be_visible()
    page.get_by_label("Yes, issue my certificate").check()
    page.get_by_label(re.compile("^Alias shown")).fill(alias)
    page.get_by_role("button", name="Send my answer", exact=True).click()
    code = page.locator("strong.code").inner_text()
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download your certificate (PDF)").click()
    pdf = pdf_download.value.path().read_bytes()
    with page.expect_download() as proof_download:
        page.get_by_role("link", name="Download the signed statement").click()
    proof_text = proof_download.value.path().read_text()
    return reporter_sees_award, code, pdf, proof_text


def _run(browser: Browser, deployment: Deployment) -> RewardsRecord:
    receipt = _send_report(browser, deployment)
    handler = _staff(browser, deployment, seed.REWARD_HANDLER)
    reference = _close_and_propose(handler)
    award_link = handler.get_by_role("link", name=f"{AMOUNT} EUR")
    award_path = award_link.get_attribute("href") or ""
    token = handler.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value") or ""
    own = handler.request.post(
        award_path + "approve/", form={"csrfmiddlewaretoken": token}, headers={"Referer": handler.url}
    )
    own_status, own_text = own.status, own.text()
    officer = _staff(browser, deployment, seed.REWARD_OFFICER)
    officer.goto("/console/rewards/")
    officer.get_by_role("region", name="Waiting for your decision").get_by_role("link").filter(
        has_text=reference
    ).click()
    officer.get_by_role("button", name="Approve", exact=True).click()
    state_after_approval = officer.locator("dd strong").first.inner_text()
    officer.goto(f"/console/rewards/reports/{reference}/")
    officer.get_by_role("button", name="Offer a commendation", exact=True).click()

    bank = f"IBAN DE{unique('BANKmarker')}"
    alias = unique("Kestrel")
    context = _reporter(browser, deployment)
    page = _portal(context, receipt)
    reporter_sees_award, code, pdf, proof_text = _claim_and_accept(page, bank=bank, alias=alias)

    officer.goto(award_path)
    officer.get_by_role("button", name="Show the bank details", exact=True).click()
    shown = officer.locator("pre.sealed-text").inner_text()
    payment_reference = unique("TX")
    officer.get_by_label(_label("Payment reference")).fill(payment_reference)
    officer.get_by_label(re.compile("^Date paid")).fill("2026-12-05")
    officer.get_by_role("button", name="Record the payment", exact=True).click()
    expect(officer.get_by_text("The payment is recorded")).to_be_visible()

    page.goto("/portal/rewards/")
    reporter_sees_payment = page.get_by_role("region", name="Awards").inner_text()
    context.close()

    public = _reporter(browser, deployment)
    check = public.new_page()
    check.goto("/commendations/verify/")
    check.get_by_label(_label("Verification code")).fill(code)
    check.get_by_role("button", name="Check", exact=True).click()
    code_check = check.get_by_role("status").inner_text()
    check.goto("/proof/verify/")
    check.get_by_label(_label("Paste the statement")).fill(proof_text)
    check.get_by_role("button", name="Check the signature", exact=True).click()
    proof_check = check.get_by_role("status").inner_text()
    public.close()
    handler.context.close()
    officer.context.close()
    return RewardsRecord(
        reference=reference,
        proposer_approving_own=own_status,
        proposer_approving_own_told=own_text,
        state_after_approval=state_after_approval,
        reporter_sees_award=reporter_sees_award,
        bank_details_shown_to_officer=shown,
        reporter_sees_payment=reporter_sees_payment,
        payment_reference=payment_reference,
        certificate_pdf_starts=pdf[:5],
        code_check=code_check,
        alias=alias,
        proof_check=proof_check,
        proof_text=proof_text,
        bank_marker=bank,
    )


@pytest.fixture(scope="module")
def rewards_journey(deployment: Deployment, browser: Browser) -> RewardsRecord:
    try:
        return _run(browser, deployment)
    except Exception as error:
        error.add_note(deployment.server.log_tail())
        raise


def test_the_proposer_cannot_approve_and_another_person_can(rewards_journey: RewardsRecord) -> None:
    assert rewards_journey.proposer_approving_own == 403
    assert "Your role does not allow this action." in rewards_journey.proposer_approving_own_told
    assert rewards_journey.state_after_approval == "Approved, waiting for the reporter's claim"


def test_the_reporter_claims_without_javascript_and_sees_the_payment(rewards_journey: RewardsRecord) -> None:
    assert f"An award of {AMOUNT} EUR" in rewards_journey.reporter_sees_award
    assert rewards_journey.bank_details_shown_to_officer == rewards_journey.bank_marker
    assert "Paid on" in rewards_journey.reporter_sees_payment
    assert rewards_journey.payment_reference in rewards_journey.reporter_sees_payment


def test_the_certificate_is_a_pdf_whose_code_checks_on_the_public_page(rewards_journey: RewardsRecord) -> None:
    assert rewards_journey.certificate_pdf_starts == b"%PDF-"
    assert "This commendation is valid." in rewards_journey.code_check
    assert rewards_journey.alias in rewards_journey.code_check
    assert rewards_journey.reference not in rewards_journey.code_check


def test_the_proof_of_reporting_is_signed_and_checks(rewards_journey: RewardsRecord) -> None:
    assert f"Reference: {rewards_journey.reference}" in rewards_journey.proof_text
    assert "Channel: " + seed.REWARD_CHANNEL_NAME in rewards_journey.proof_text
    assert "The signature is valid" in rewards_journey.proof_check
