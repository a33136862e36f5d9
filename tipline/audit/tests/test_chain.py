from __future__ import annotations

import pytest

from tipline.audit.exceptions import AuditChainBroken
from tipline.audit.models import AuditEntry
from tipline.audit.services import record, verify_chain


@pytest.fixture
def chain(db: None) -> list[AuditEntry]:
    return [record(action="report.read", report_ref=f"R{i}", detail={"n": i}) for i in range(5)]


def test_an_intact_chain_verifies(chain: list[AuditEntry]) -> None:
    assert verify_chain() == 5


def test_an_edited_entry_is_named(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq=3).update(action="nothing.happened")
    with pytest.raises(AuditChainBroken) as broken:
        verify_chain()
    assert broken.value.seq == 3


def test_an_edited_detail_is_named(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq=2).update(detail={"n": 99})
    with pytest.raises(AuditChainBroken) as broken:
        verify_chain()
    assert broken.value.seq == 2


def test_a_deleted_entry_is_named(chain: list[AuditEntry]) -> None:
    AuditEntry.objects.filter(seq=2).delete()
    with pytest.raises(AuditChainBroken) as broken:
        verify_chain()
    assert broken.value.seq == 2


def test_reordered_entries_are_detected(chain: list[AuditEntry]) -> None:
    a, b = AuditEntry.objects.get(seq=2), AuditEntry.objects.get(seq=3)
    AuditEntry.objects.filter(pk=a.pk).update(seq=1000)
    AuditEntry.objects.filter(pk=b.pk).update(seq=2)
    AuditEntry.objects.filter(pk=a.pk).update(seq=3)
    with pytest.raises(AuditChainBroken) as broken:
        verify_chain()
    assert broken.value.seq == 2


def test_a_rehashed_forgery_breaks_the_next_link(chain: list[AuditEntry]) -> None:
    from tipline.audit.services import _hash_of

    forged = AuditEntry.objects.get(seq=2)
    forged.action = "forged"
    forged.entry_hash = _hash_of(forged)
    forged.save()
    with pytest.raises(AuditChainBroken) as broken:
        verify_chain()
    assert broken.value.seq == 2  # its seal (HMAC under the audit key) no longer matches


def test_the_verify_command_names_the_first_broken_link(chain: list[AuditEntry]) -> None:
    from django.core.management import CommandError, call_command

    AuditEntry.objects.filter(seq=4).update(report_ref="other")
    with pytest.raises(CommandError, match="#4"):
        call_command("audit", "verify")


def test_entries_deleted_from_the_end_are_caught_by_an_anchor(chain: list[AuditEntry]) -> None:
    from tipline.audit.services import chain_head

    head = chain_head()
    assert head is not None
    assert verify_chain(anchors=[head]) == 5
    AuditEntry.objects.filter(seq__gte=4).delete()
    assert verify_chain() == 3  # the chain alone cannot see a cut tail...
    with pytest.raises(AuditChainBroken) as broken:
        verify_chain(anchors=[head])  # ...the anchor kept outside can
    assert broken.value.seq == 5


def test_a_chain_rebuilt_by_a_database_writer_is_caught_without_an_anchor(chain: list[AuditEntry]) -> None:
    """Whoever can write to the database can recompute every plain hash after a forged
    entry; the seals need the audit key, which is not in the database."""
    from django.core.management import CommandError, call_command

    from tipline.audit.services import _hash_of

    for entry in AuditEntry.objects.order_by("seq"):  # an attacker recomputes every hash
        if entry.seq == 2:
            entry.action = "forged"
        previous = AuditEntry.objects.filter(seq=entry.seq - 1).first()
        entry.prev_hash = previous.entry_hash if previous else "0" * 64
        entry.entry_hash = _hash_of(entry)
        entry.save()
    with pytest.raises(CommandError, match="#2"):
        call_command("audit", "verify")


def test_seals_made_with_another_key_do_not_verify(chain: list[AuditEntry], settings: object) -> None:
    settings.TIPLINE_AUDIT_KEY = b"another key entirely, also long enough"  # type: ignore[attr-defined]
    with pytest.raises(AuditChainBroken) as broken:
        verify_chain()
    assert broken.value.seq == 1


def test_staff_created_anywhere_channel_recipients_and_log_ins_are_audited(db: None) -> None:
    """The review found these missing from the trail: staff made on the command line (which
    calls the same service), changes of a channel's recipients, and staff log-ins."""
    from django.test import Client

    from tipline.accounts import services as accounts
    from tipline.accounts.models import Role
    from tipline.accounts.testing import login_staff
    from tipline.register import services as register
    from tipline.register.models import Channel

    _, escrow = accounts.create_organisation(name="Org")
    password = "correct horse battery staple 42"
    admin = accounts.create_staff(username="admin", password=password, roles=[Role.ADMIN], escrow_private_key=escrow)
    handler = accounts.create_staff(username="clerk", password=password, roles=[Role.HANDLER])
    created = AuditEntry.objects.filter(action="staff.created").values_list("detail", flat=True)
    assert {d["user"] for d in created} == {"admin", "clerk"}
    channel = Channel.objects.create(slug="web", name="Web")
    before = register.recipient_names(channel=channel)
    channel.recipients.add(handler)
    register.record_recipient_change(channel=channel, before=before, by=admin)
    entry = AuditEntry.objects.get(action="channel.recipients_changed")
    assert entry.detail == {"channel": "web", "added": ["clerk"], "removed": []}
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "clerk", password)
    assert AuditEntry.objects.filter(action="staff.login", actor=handler).exists()
    assert verify_chain() == AuditEntry.objects.count()


def test_a_written_reason_rewritten_in_the_database_is_caught(db: None) -> None:
    from tipline.audit.services import free_text

    record(action="escrow.read", report_ref="R1", detail={"reason": free_text("Court order 12")})
    assert verify_chain() == 1
    kept = free_text("Court order 12")["sha256"]  # the digest stays: the hash and seal still match
    AuditEntry.objects.filter(seq=1).update(detail={"reason": {"text": "Nothing to see", "sha256": kept}})
    with pytest.raises(AuditChainBroken) as broken:
        verify_chain()
    assert broken.value.seq == 1
