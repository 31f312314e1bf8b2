"""Retention per kind of data, the audit log kept verifiable by its anchor (and alteration or
removal of kept rows still found), and one person's data exported on request."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from vrisac.core.audit import audit_prune, audit_record, verify_chain
from vrisac.core.jobs import job_run
from vrisac.core.models import AuditEvent, Job
from vrisac.core.testing import api_client, make_person, make_report
from vrisac.notifications.models import Notification
from vrisac.ops.metrics import exposition
from vrisac.ops.models import JobRunTally, ScheduleClaim
from vrisac.ops.retention import retention_apply


def _events(n: int, label: str) -> list[AuditEvent]:
    return [audit_record(action=f"test.{label}", actor_label="test", details={"i": i})
            for i in range(n)]


def _problems() -> list[str]:
    return [f"#{p.seq}: {p.reason}" for p in verify_chain()]


@pytest.mark.django_db
def test_pruning_the_oldest_audit_rows_keeps_the_chain_verifiable() -> None:
    old = _events(5, "old")
    cutoff = timezone.now()
    kept = _events(4, "kept")
    assert audit_prune(before=cutoff, dry_run=True) >= 5
    assert AuditEvent.objects.filter(seq__lte=old[-1].seq).exists()
    removed = audit_prune(before=cutoff)
    assert removed >= 5
    assert not AuditEvent.objects.filter(seq__lte=old[-1].seq).exists()
    anchor = AuditEvent.objects.get(action="audit.retention")
    assert anchor.details["removed_through_seq"] == old[-1].seq
    assert anchor.details["anchor_hash"] == kept[0].prev_hash
    assert _problems() == []
    # A second clean-up later moves the anchor on, and the chain still verifies.
    cutoff2 = timezone.now()
    _events(2, "later")
    audit_prune(before=cutoff2)
    assert _problems() == []
    call_command("verify_audit")


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["alter_kept", "remove_middle", "remove_oldest_kept",
                                    "alter_anchor", "remove_anchor", "remove_all_without_anchor"])
def test_alteration_or_removal_of_kept_rows_is_still_found(tamper: str) -> None:
    _events(3, "old")
    cutoff = timezone.now()
    kept = _events(4, "kept")
    audit_prune(before=cutoff)
    _events(2, "after")
    assert _problems() == []
    anchor = AuditEvent.objects.get(action="audit.retention")
    if tamper == "alter_kept":
        AuditEvent.objects.filter(pk=kept[1].pk).update(details={"i": 99})
    elif tamper == "remove_middle":
        AuditEvent.objects.filter(pk=kept[2].pk).delete()
    elif tamper == "remove_oldest_kept":
        AuditEvent.objects.filter(pk=kept[0].pk).delete()
    elif tamper == "alter_anchor":
        AuditEvent.objects.filter(pk=anchor.pk).update(
            details={**anchor.details, "removed_through_seq": anchor.details[
                "removed_through_seq"] + 1})
    elif tamper == "remove_anchor":
        AuditEvent.objects.filter(pk=anchor.pk).delete()
    else:
        # Someone removes old rows by hand, without the clean-up's anchor.
        AuditEvent.objects.filter(pk=anchor.pk).update(action="test.disguised")
    problems = _problems()
    assert problems, f"{tamper} went unnoticed"
    with pytest.raises(CommandError):
        call_command("verify_audit")


@pytest.mark.django_db
def test_retention_removes_each_kind_past_its_days_and_keeps_the_rest(
        settings: Any, people: dict[str, Any]) -> None:
    settings.VRISAC_RETENTION_JOB_DAYS = 90
    settings.VRISAC_RETENTION_NOTIFICATION_DAYS = 365
    settings.VRISAC_RETENTION_AUDIT_DAYS = 0  # kept for ever
    now = timezone.now()
    old_ok = job_run("ops_test.record", arguments={"path": "/dev/null"})
    old_failed = job_run("ops_test.slow_first", arguments={"seconds": 0})
    Job.objects.filter(pk=old_failed.pk).update(state=Job.State.FAILED)
    recent = job_run("ops_test.record", arguments={"path": "/dev/null"})
    Job.objects.filter(pk__in=[old_ok.pk, old_failed.pk]).update(
        finished_at=now - timedelta(days=91))
    running = Job.objects.create(name="ops_test.record", state=Job.State.RUNNING,
                                 started_at=now - timedelta(days=200))
    ScheduleClaim.objects.create(job="x", slot=now - timedelta(days=100), claimed_by="s")
    make_report(people["coordinator"], title="Reaches the inbox")
    inbox = Notification.objects.filter(recipient=people["utrecht"])
    assert inbox.exists()
    inbox.update(created_at=now - timedelta(days=400))
    fresh = Notification.objects.create(recipient=people["utrecht"], kind="report")
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=now - timedelta(
        hours=1))
    Session.objects.create(session_key="y" * 32, session_data="", expire_date=now + timedelta(
        hours=1))
    metrics_before = exposition().decode()

    preview = retention_apply(dry_run=True)
    assert preview["finished jobs"] == 2 and Job.objects.filter(pk=old_ok.pk).exists()
    counts = retention_apply()
    assert counts["finished jobs"] == 2 and counts["audit log"] == 0
    assert counts["expired sessions"] == 1
    assert set(Job.objects.values_list("pk", flat=True)) >= {recent.pk, running.pk}
    assert not Job.objects.filter(pk__in=[old_ok.pk, old_failed.pk]).exists()
    assert not ScheduleClaim.objects.filter(job="x").exists()
    assert list(Notification.objects.filter(recipient=people["utrecht"])) == [fresh]
    assert list(Session.objects.values_list("session_key", flat=True)) == ["y" * 32]
    # The run counters of /metrics never go down: the removed runs live on as tallies.
    assert JobRunTally.objects.get(name="ops_test.record", state="succeeded").count == 1
    metrics_after = exposition().decode()
    line = 'vrisac_job_runs_total{job="ops_test.record",result="succeeded"} 2.0'
    assert line in metrics_before and line in metrics_after
    assert AuditEvent.objects.filter(action="ops.retention").count() == 3
    assert _problems() == []


@pytest.mark.django_db
def test_the_audit_log_retention_runs_through_the_daily_job(settings: Any) -> None:
    settings.VRISAC_RETENTION_AUDIT_DAYS = 30
    _events(6, "old")
    counts = retention_apply(now=timezone.now() + timedelta(days=31))
    assert counts["audit log"] >= 6
    assert AuditEvent.objects.filter(action__startswith="test.").count() == 0
    assert _problems() == []


@pytest.mark.django_db
def test_retention_command_lists_the_register_and_runs(capsys: Any) -> None:
    call_command("retention", "--list")
    listing = capsys.readouterr().out
    assert "audit log" in listing and "VRISAC_RETENTION_AUDIT_DAYS" in listing
    call_command("retention", "--dry-run")
    assert "would be removed" in capsys.readouterr().out


@pytest.mark.django_db
def test_export_person_holds_their_data_and_no_secret(people: dict[str, Any], tmp_path: Path,
                                                      capsys: Any) -> None:
    person = people["utrecht"]
    report = make_report(person, title="Our own incident")
    from vrisac.reports.services import comment_create

    comment_create(report=report, author=people["utrecht2"], body="Seen it too")
    comment_create(report=report, author=person, body="Thanks")
    client = api_client(person, scopes=["reports:read"])
    assert client.get("/api/v1/reports").status_code == 200
    target = tmp_path / "export.json"
    call_command("export_person", "--email", person.email.upper(), "--output", str(target))
    assert target.stat().st_mode & 0o077 == 0
    text = target.read_text()
    data = json.loads(text)
    assert data["account"]["email"] == person.email
    assert [m["organisation_slug"] for m in data["memberships"]] == ["utrecht"]
    assert [r["title"] for r in data["reports"]] == ["Our own incident"]
    assert len(data["comments"]) == 1  # theirs, not the colleague's
    assert data["api_tokens"][0]["scopes"] == ["reports:read"]
    assert {a["type"] for a in data["second_factors"]} == {"totp"}
    actions = {e["action"] for e in data["audit_log"]}
    assert {"report.create", "comment.create"} <= actions
    assert all("body" not in r for r in data["reports"])
    from allauth.mfa.models import Authenticator

    from vrisac.accounts.models import ApiToken

    token = ApiToken.objects.get(user=person)
    secret = Authenticator.objects.get(user=person, type="totp").data["secret"]
    assert token.token_hash not in text and secret not in text and "password" not in text
    assert AuditEvent.objects.filter(action="privacy.export", object_id=str(person.pk)).exists()
    with pytest.raises(CommandError, match="No account"):
        call_command("export_person", "--email", "nobody@example.org")
    call_command("export_person", "--email", people["haaglanden"].email)
    assert json.loads(capsys.readouterr().out)["account"]["name"] == "Joost Haaglanden"
    other = make_person("participant", "haaglanden")
    assert other.email not in text


@pytest.mark.django_db
def test_feed_indicators_the_feed_no_longer_lists_expire(settings: Any, tmp_path: Path) -> None:
    from vrisac.intel.feeds import feed_import, feed_save
    from vrisac.intel.models import Indicator, Sighting
    from vrisac.intel.services import sighting_add

    settings.VRISAC_RETENTION_INDICATOR_DAYS = 30
    coordinator = make_person("coordinator", "nipv")
    listing = tmp_path / "feed.txt"
    listing.write_text("198.51.100.7\n198.51.100.8\n")
    feed = feed_save(acting_user=coordinator, name="blocklist", title="Blocklist",
                     path=str(listing), trusted_path=True)
    feed_import(feed=feed, acting_user=coordinator)
    report = make_report(make_person("participant", "utrecht"))
    from vrisac.intel.services import report_indicators_add

    report_indicators_add(report=report, acting_user=report.author,
                          items=[{"type": "ipv4", "value": "198.51.100.7"}])
    sighting_add(acting_user=report.author, kind="seen", value="198.51.100.7")
    # 40 days on, the feed lists only .8: .7 of the feed expired; the report keeps its own.
    later = timezone.now() + timedelta(days=40)
    Indicator.objects.filter(feed=feed, value__value="198.51.100.8").update(last_seen=later)
    Sighting.objects.update(seen_at=timezone.now() - timedelta(days=31))
    counts = retention_apply(now=later)
    assert counts["expired indicators"] == 1
    assert counts["sightings"] == 1
    left = set(Indicator.objects.values_list("feed_id", "value__value"))
    assert left == {(feed.pk, "198.51.100.8"), (None, "198.51.100.7")}
    assert AuditEvent.objects.filter(action="ops.retention",
                                     details__kind="expired indicators").exists()
