"""E-mail reminders before a NIS2 deadline, sent by the scheduled job over real SMTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from vrisac.core.jobs import job_run
from vrisac.core.schedule import SCHEDULE
from vrisac.core.testing import make_report
from vrisac.resilience import services
from vrisac.resilience.models import Nis2Reminder

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]


def _recipients(messages: list[Any]) -> set[str]:
    return {m["To"] for m in messages}


def test_the_reminder_job_is_on_the_schedule() -> None:
    entry = next(e for e in SCHEDULE if e.job == "resilience.nis2_reminders")
    assert entry.cron == "*/15 * * * *"


def test_reminder_before_the_early_warning_goes_to_the_organisation_once(
        people: dict[str, Any], smtp_server: Any) -> None:
    vnog = people["vnog"]
    report = make_report(vnog, kind="incident", title="Vertrouwelijke titel", tlp="TLP:AMBER")
    # Early warning due in 4 hours: inside its 6-hour lead; the notification is 52 h away.
    incident = services.nis2_start(report=report, acting_user=vnog,
                                   aware_at=timezone.now() - timedelta(hours=20))
    row = job_run("resilience.nis2_reminders")
    assert row.result["reminders"] == 1
    assert _recipients(smtp_server.messages) == {vnog.email}
    message = smtp_server.messages[0]
    assert "NIS2" in message["Subject"]
    text = message.get_payload(decode=True).decode()
    assert f"/resilience/nis2/{incident.pk}/" in text
    assert "Vertrouwelijke titel" not in text and "Vertrouwelijke" not in message["Subject"]
    # The next run finds nothing new to say.
    assert job_run("resilience.nis2_reminders").result["reminders"] == 0
    assert len(smtp_server.messages) == 1


def test_both_seats_of_the_organisation_and_only_they_are_reminded(
        people: dict[str, Any], smtp_server: Any) -> None:
    utrecht = people["utrecht"]
    report = make_report(utrecht, kind="incident", tlp="TLP:GREEN", title="Open titel")
    services.nis2_start(report=report, acting_user=utrecht,
                        aware_at=timezone.now() - timedelta(hours=70))
    services.nis2_send_reminders()
    # The notification (due in 2 h) is reminded; the early warning is overdue: both once.
    assert Nis2Reminder.objects.count() == 2
    assert _recipients(smtp_server.messages) == {utrecht.email, people["utrecht2"].email}
    kinds = set(Nis2Reminder.objects.values_list("kind", flat=True))
    assert kinds == {"before", "overdue"}
    bodies = [m.get_payload(decode=True).decode() for m in smtp_server.messages]
    assert all("Open titel" in b for b in bodies)  # TLP:GREEN may carry its title


def test_submitted_stages_and_far_deadlines_are_not_reminded(people: dict[str, Any],
                                                            smtp_server: Any) -> None:
    vnog = people["vnog"]
    report = make_report(vnog, kind="incident")
    incident = services.nis2_start(report=report, acting_user=vnog,
                                   aware_at=timezone.now() - timedelta(hours=20))
    services.nis2_submit(stage=incident.stages.get(stage="early_warning"), acting_user=vnog,
                         content={"summary": "s", "suspected_malicious": "no",
                                  "cross_border": "no"})
    assert services.nis2_send_reminders()["reminders"] == 0
    assert smtp_server.messages == []


def test_a_failing_mail_server_leaves_no_record_so_the_next_run_retries(
        people: dict[str, Any], settings: Any) -> None:
    vnog = people["vnog"]
    report = make_report(vnog, kind="incident")
    services.nis2_start(report=report, acting_user=vnog,
                        aware_at=timezone.now() - timedelta(hours=20))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    with pytest.raises(OSError):
        services.nis2_send_reminders()
    assert not Nis2Reminder.objects.exists()
