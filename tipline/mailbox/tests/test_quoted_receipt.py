"""A reporter who answers the acknowledgement quotes their receipt: it must not reach the
handlers of the new report, who could then act as that reporter."""

from __future__ import annotations

import pytest

from tipline.accounts import services as accounts
from tipline.conftest import PASSWORD, Setup
from tipline.crypto.receipt import format_receipt
from tipline.mailbox import services
from tipline.register import keyring
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, Report

CARD = "4111 1111 1111 1111"  # a card number has a receipt's shape, and stays


def _mail(subject: str, body: str) -> bytes:
    return (
        f"From: Ana <ana@example.net>\r\nSubject: {subject}\r\nMessage-ID: <{abs(hash(body))}@example.net>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def _answers(report: Report, org: Setup) -> dict[str, object]:
    private = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    key = keyring.open_report_key(report=report, user=org.supervisor, private_key=private)
    return {question["key"]: value for question, value in register.read_answers(report=report, report_key=key)}


def test_a_quoted_receipt_is_removed_and_a_card_number_is_kept(org: Setup) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    first = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "Bids"})
    quoted = format_receipt(first.receipt)
    channel = Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX, mail_reply="none")
    body = f"More on my report.\n\n> Your receipt: {quoted}\n\nThe card used: {CARD}."
    taken = services.take_in(channel=channel, raw=_mail(f"Re: {first.receipt}", body))
    assert taken.report is not None
    answers = _answers(taken.report, org)
    text = f"{answers['subject']}\n{answers['message']}"
    assert first.receipt not in text.replace(" ", "")
    assert "[a receipt, removed]" in str(answers["message"])
    assert CARD in str(answers["message"])
    assert "A receipt quoted in the mail" in str(answers["not_taken_in"])


def test_a_mail_without_a_receipt_costs_no_derivation(org: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = register.opens_a_report

    def counted(*, receipt_text: str) -> bool:
        calls.append(receipt_text)
        return original(receipt_text=receipt_text)

    monkeypatch.setattr(register, "opens_a_report", counted)
    channel = Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX, mail_reply="none")
    services.take_in(channel=channel, raw=_mail("Bids", "No numbers of that shape: 1234 5678."))
    assert calls == []
    # Many numbers of the shape: only the first few are checked, the others removed unchecked.
    numbers = [f"9{n:03d} 0000 0000 0000" for n in range(services.RECEIPTS_CHECKED + 2)]
    taken = services.take_in(channel=channel, raw=_mail("Many", "\n".join(numbers)))
    assert len(calls) == services.RECEIPTS_CHECKED
    assert taken.report is not None
    message = str(_answers(taken.report, org)["message"])
    assert all(number in message for number in numbers[: services.RECEIPTS_CHECKED])
    assert not any(number in message for number in numbers[services.RECEIPTS_CHECKED :])
