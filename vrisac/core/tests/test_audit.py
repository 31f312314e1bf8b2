from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from vrisac.core.audit import audit_record, verify_chain
from vrisac.core.models import AuditChainHead, AuditEvent


def _problems() -> list[str]:
    return [f"#{p.seq}: {p.reason}" for p in verify_chain()]


@pytest.mark.django_db
def test_chain_links_every_row_and_verifies() -> None:
    rows = [audit_record(action="test.thing", details={"n": i}) for i in range(5)]
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1].prev_hash == rows[0].hash
    assert _problems() == []
    call_command("verify_audit")


@pytest.mark.django_db
def test_altered_row_is_named() -> None:
    for i in range(4):
        audit_record(action="test.thing", details={"n": i})
    AuditEvent.objects.filter(seq=3).update(details={"n": 99})
    assert _problems() == ["#3: content was altered"]
    with pytest.raises(CommandError, match="row #3"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_removed_middle_row_is_named() -> None:
    for i in range(4):
        audit_record(action="test.thing", details={"n": i})
    AuditEvent.objects.filter(seq=2).delete()
    assert _problems() == ["#2: row is missing (removed)"]


@pytest.mark.django_db
def test_removed_last_rows_are_noticed() -> None:
    for i in range(4):
        audit_record(action="test.thing", details={"n": i})
    AuditEvent.objects.filter(seq__gte=3).delete()
    assert _problems() and "removed" in _problems()[0]


@pytest.mark.django_db
def test_rehashed_forgery_breaks_the_link() -> None:
    from vrisac.core.audit import compute_hash

    for i in range(3):
        audit_record(action="test.thing", details={"n": i})
    forged = AuditEvent.objects.get(seq=2)
    forged.details = {"n": "forged"}
    forged.hash = compute_hash(forged)
    forged.save()
    assert _problems() == ["#3: does not link to the row before it"]


@pytest.mark.django_db
def test_secrets_are_refused_in_details() -> None:
    with pytest.raises(ValueError):
        audit_record(action="test.thing", details={"password": "x"})
    with pytest.raises(ValueError):
        audit_record(action="test.thing", details={"token": "x"})


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain() -> None:
    errors: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for i in range(15):
                audit_record(action="test.concurrent", details={"worker": worker, "i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.count() == 60
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 61))
    assert AuditChainHead.objects.get(pk=1).seq == 60
    assert _problems() == []
    assert connection.vendor in ("sqlite", "postgresql")
