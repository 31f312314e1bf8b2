"""The audit log: append-only and hash-chained.

Appends are serialised on the chain head (a row lock on PostgreSQL; SQLite's IMMEDIATE
transactions already serialise writers), so concurrent requests never fork the chain. Never
pass a password, token or secret in ``details``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent
from .request_context import current_origin

GENESIS = "0" * 64
_FORBIDDEN_KEYS = {"password", "token", "secret", "key", "otp", "code", "recovery_code"}


def _canonical(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def _hash_fields(row: AuditEvent) -> dict[str, Any]:
    at = row.at.astimezone(UTC).isoformat(timespec="microseconds")
    return {
        "seq": row.seq,
        "at": at,
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "organisation_id": row.organisation_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "ip": row.ip,
        "channel": row.channel,
        "request_id": row.request_id,
        "result": row.result,
        "details": row.details,
        "prev_hash": row.prev_hash,
    }


def compute_hash(row: AuditEvent) -> str:
    return hashlib.sha256(_canonical(_hash_fields(row))).hexdigest()


def _check_details(details: dict[str, Any]) -> None:
    for key in details:
        if key.lower() in _FORBIDDEN_KEYS:
            raise ValueError(f"audit details must never carry a secret ({key!r})")


def audit_record(
    *,
    action: str,
    actor: Any = None,
    organisation_id: int | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    result: str = AuditEvent.Result.SUCCESS,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one row. Call it inside the transaction of the change it records."""
    details = dict(details or {})
    _check_details(details)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        if _source_withheld(obj):
            # Who did this names a source that is not shown to everyone (anonymous content,
            # an unnamed sighting): the audit page shows the row without its actor to those
            # who may not know (sharing.policy.hidden_audit_rows_q).
            details.setdefault("anonymous", True)
    actor_id = None
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id = actor.pk
        actor_label = actor_label or getattr(actor, "name", "") or f"user {actor.pk}"
        if organisation_id is None:
            organisation_id = getattr(actor, "primary_organisation_id", None)
    origin = current_origin()
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            # Normally made by a migration; concurrent first appends must not both create it.
            AuditChainHead.objects.bulk_create(
                [AuditChainHead(pk=1, seq=0, hash=GENESIS)], ignore_conflicts=True
            )
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        row = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_label=actor_label[:200],
            organisation_id=organisation_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:64] if object_id != "" else "",
            ip=origin.ip,
            channel=origin.channel,
            request_id=origin.request_id or "",
            result=result,
            details=orjson.loads(orjson.dumps(details)),
            prev_hash=head.hash,
        )
        row.hash = compute_hash(row)
        row.save(force_insert=True)
        head.seq = row.seq
        head.hash = row.hash
        head.save(update_fields=["seq", "hash"])
    return row


def _source_withheld(obj: Any) -> bool:
    """Content shared anonymously, or a part of it (a reply, an indicator, an attachment),
    or a sighting whose organisation chose not to be named."""
    if getattr(obj, "anonymous", False) is True or getattr(obj, "named", True) is False:
        return True
    if "report" in {f.name for f in obj._meta.get_fields()}:
        report = getattr(obj, "report", None)
        return bool(report is not None and getattr(report, "anonymous", False) is True)
    return False


RETENTION_ACTION = "audit.retention"


def audit_prune(*, before: datetime, dry_run: bool = False) -> int:
    """Remove the rows older than ``before`` (the oldest rows only, never a gap) and append an
    ``audit.retention`` row naming the last one removed and its hash, the anchor the kept
    chain continues from. Returns the rows removed (or that would be, with ``dry_run``)."""
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().filter(pk=1).first()
        last = AuditEvent.objects.filter(at__lt=before).order_by("-seq").first()
        if last is None:
            return 0
        old = AuditEvent.objects.filter(seq__lte=last.seq)
        if dry_run:
            return old.count()
        removed, _per_model = old.delete()
        audit_record(action=RETENTION_ACTION, actor_label="retention",
                     details={"removed_through_seq": last.seq, "anchor_hash": last.hash,
                              "removed": removed, "before": before.isoformat()})
    return removed


def _anchor(first: AuditEvent) -> AuditEvent | None:
    """The retention row that vouches for the removal of every row before ``first``."""
    return (AuditEvent.objects.filter(action=RETENTION_ACTION, seq__gte=first.seq,
                                      details__removed_through_seq=first.seq - 1)
            .order_by("-seq").first())


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


def verify_chain(batch_size: int = 5000) -> Iterator[ChainProblem]:
    """Recompute the chain from the start (or from the retention anchor, when the oldest rows
    were removed by the retention clean-up); yield the first problem found, if any."""
    previous_hash = GENESIS
    expected_seq = 1
    last = 0
    first = AuditEvent.objects.order_by("seq").first()
    if first is not None and first.seq > 1:
        anchor = _anchor(first)
        if anchor is None or anchor.details.get("anchor_hash") != first.prev_hash:
            yield ChainProblem(first.seq - 1, f"rows #1 to #{first.seq - 1} were removed "
                                              "without a retention anchor")
            return
        previous_hash = first.prev_hash
        expected_seq = first.seq
        last = first.seq - 1
    qs = AuditEvent.objects.order_by("seq")
    start = 0
    while True:
        rows = list(qs.filter(seq__gt=start)[:batch_size])
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                yield ChainProblem(expected_seq, "row is missing (removed)")
                return
            if row.prev_hash != previous_hash:
                yield ChainProblem(row.seq, "does not link to the row before it")
                return
            if compute_hash(row) != row.hash:
                yield ChainProblem(row.seq, "content was altered")
                return
            previous_hash = row.hash
            expected_seq += 1
            last = row.seq
        start = rows[-1].seq
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else GENESIS
    if head_seq != last or head_hash != previous_hash:
        yield ChainProblem(last + 1, f"rows after #{last} were removed (the chain head is at "
                                     f"#{head_seq})")
