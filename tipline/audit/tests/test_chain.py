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
    assert broken.value.seq == 3


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


def test_a_rewritten_chain_differs_from_its_anchor(chain: list[AuditEntry]) -> None:
    from django.core.management import CommandError, call_command

    from tipline.audit.services import _hash_of, chain_head

    head = chain_head()
    assert head is not None
    for entry in AuditEntry.objects.order_by("seq"):  # an attacker recomputes every hash
        if entry.seq == 2:
            entry.action = "forged"
        previous = AuditEntry.objects.filter(seq=entry.seq - 1).first()
        entry.prev_hash = previous.entry_hash if previous else "0" * 64
        entry.entry_hash = _hash_of(entry)
        entry.save()
    assert verify_chain() == 5
    with pytest.raises(CommandError, match="#5"):
        call_command("audit", "verify", "--anchor", f"{head[0]}:{head[1]}")
