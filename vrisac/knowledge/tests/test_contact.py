"""The contact form: its text, its robot traps, its limits, the inbox, answers by e-mail over
a real SMTP server, and deletion after the retention period."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from io import StringIO
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from vrisac.core.audit import verify_chain
from vrisac.core.errors import DomainError
from vrisac.core.jobs import JOBS, job_run
from vrisac.core.models import AuditEvent
from vrisac.core.schedule import SCHEDULE
from vrisac.core.testing import client_for, make_person
from vrisac.knowledge import antispam, services
from vrisac.knowledge.conf import contact_settings
from vrisac.knowledge.models import ContactMessage, ContactRejection, ContactReply

from .conftest import aged_token, question

pytestmark = pytest.mark.django_db


def rejected(reason: str) -> int:
    row = ContactRejection.objects.filter(reason=reason).first()
    return row.count if row else 0


def received(smtp_server: Any) -> list[Any]:
    return [message_from_bytes(m.as_bytes(), policy=policy.default)
            for m in smtp_server.messages]


# ------------------------------------------------------------------------------ the form


def test_the_form_says_what_the_issue_asks(client: Client) -> None:
    response = client.get("/contact/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Heeft u een vraag over dit onderwerp?" in html
    assert "Velden gemarkeerd met * zijn verplicht" in html
    assert "alleen voor de correspondentie over uw vraag" in html
    assert "Dit veld is bedoeld voor validatiedoeleinden en moet niet worden gewijzigd" in html
    assert 'name="validatie" value=""' in html
    for field in ("name", "email", "organisation", "subject", "question"):
        assert f'name="{field}"' in html
    # required fields carry the mark and the attribute; the organisation is optional
    assert html.count('<span class="required-mark" aria-hidden="true">*</span>') == 4
    assert 'maxlength="5000"' in html and 'maxlength="150"' in html
    assert "no-store" in response["Cache-Control"]
    english = client.get("/en/contact/").content.decode()
    assert "Do you have a question about this subject?" in english
    assert 'action="/en/contact/"' in english


def test_a_person_s_question_lands_in_the_inbox_and_the_coordinators_hear_of_it(
        post_question: Any, people: dict[str, Any], smtp_server: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_question()
    assert response.status_code == 303
    assert response["Location"] == "/contact/verzonden/"
    message = ContactMessage.objects.get()
    assert (message.name, message.email, message.state) == (
        "Anne de Jong", "anne@gemeente.example", "new")
    assert AuditEvent.objects.filter(action="knowledge.contact.receive").count() == 1
    mails = received(smtp_server)
    assert [m["To"] for m in mails] == [people["coordinator"].email]
    assert mails[0]["Subject"] == ("[VR-ISAC] Vraag via het contactformulier: "
                                   "Deelname aan het VR-ISAC")
    assert "Kunnen gemeenten ook deelnemen?" in mails[0].get_content()
    assert f"/knowledge/contact/{message.pk}/" in mails[0].get_content()


def test_the_thank_you_page(client: Client) -> None:
    response = client.get("/contact/verzonden/")
    assert response.status_code == 200
    assert "Bedankt voor uw vraag" in response.content.decode()
    assert client.get("/en/contact/sent/").status_code == 200


@pytest.mark.parametrize("value", ["x", "http://spam.example", " ", None])
def test_a_changed_or_missing_validation_field_marks_a_robot(
        post_question: Any, value: str | None) -> None:
    overrides: dict[str, Any] = {"validatie": value} if value is not None else {}
    if value is None:
        data = question()
        del data["validatie"]
        response = Client().post("/contact/", data, REMOTE_ADDR="192.0.2.7")
    else:
        response = post_question(**overrides)
    # looks like success to the robot ...
    assert response.status_code == 303 and response["Location"] == "/contact/verzonden/"
    # ... but nothing is stored, and the attempt is counted
    assert ContactMessage.objects.count() == 0
    assert rejected("honeypot") == 1
    assert not AuditEvent.objects.filter(action="knowledge.contact.receive").exists()


def test_a_form_sent_sooner_than_a_person_can_is_a_robot(post_question: Any) -> None:
    assert contact_settings().min_seconds == 3
    response = post_question(token=aged_token(1.0))
    assert response.status_code == 303
    assert ContactMessage.objects.count() == 0
    assert rejected("too_fast") == 1
    post_question(token=aged_token(3.5))
    assert ContactMessage.objects.count() == 1


@pytest.mark.parametrize("token", ["", "garbage", aged_token()[:-2] + "xx"])
def test_a_missing_or_forged_token_is_a_robot(post_question: Any, token: str) -> None:
    response = post_question(token=token)
    assert response.status_code == 303
    assert ContactMessage.objects.count() == 0
    assert rejected("bad_token") == 1


def test_a_form_sent_twice_is_stored_once(post_question: Any) -> None:
    token = aged_token()
    assert post_question(token=token).status_code == 303
    assert post_question(token=token).status_code == 303
    assert ContactMessage.objects.count() == 1
    assert rejected("reused_token") == 1


def test_a_form_left_open_too_long_is_shown_again_with_a_fresh_token(
        post_question: Any) -> None:
    response = post_question(token=aged_token(25 * 3600))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dit formulier stond te lang open" in html
    assert 'value="Anne de Jong"' in html  # nothing the person typed is lost
    assert ContactMessage.objects.count() == 0


def test_a_hundred_posts_a_minute_from_one_address_store_only_the_allowed_few(
        client: Client) -> None:
    limit = contact_settings().max_posts
    statuses = [client.post("/contact/", question(subject=f"Vraag {i}"),
                            REMOTE_ADDR="198.51.100.20").status_code for i in range(100)]
    assert statuses[:limit] == [303] * limit
    assert set(statuses[limit:]) == {429}
    assert ContactMessage.objects.count() == limit
    assert rejected("rate_limited") == 100 - limit
    limited = client.post("/contact/", question(), REMOTE_ADDR="198.51.100.20")
    assert "te veel berichten" in limited.content.decode()
    assert int(limited["Retry-After"]) == 3600
    # another address is not affected
    assert client.post("/contact/", question(), REMOTE_ADDR="198.51.100.21").status_code == 303


def test_robots_are_counted_against_the_limit_too(client: Client) -> None:
    limit = contact_settings().max_posts
    for _ in range(limit):
        client.post("/contact/", question(validatie="spam"), REMOTE_ADDR="203.0.113.5")
    assert client.post("/contact/", question(), REMOTE_ADDR="203.0.113.5").status_code == 429
    assert ContactMessage.objects.count() == 0


def test_an_ipv6_host_counts_as_its_slash_64() -> None:
    assert antispam.address_key("2001:db8:1:2:aaaa::1") == antispam.address_key(
        "2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert antispam.address_key("2001:db8:1:3::1") != antispam.address_key("2001:db8:1:2::1")
    assert antispam.address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert antispam.address_key("not an address") == "unknown"


def test_the_rate_limit_window_is_configurable(client: Client, monkeypatch: Any) -> None:
    monkeypatch.setenv("VRISAC_CONTACT_MAX_POSTS", "2")
    monkeypatch.setenv("VRISAC_CONTACT_WINDOW_MINUTES", "1")
    conf = contact_settings()
    now = time.time()
    assert [antispam.take_rate_slot("192.0.2.99", conf, now=now) for _ in range(3)] == [
        True, True, False]
    assert antispam.take_rate_slot("192.0.2.99", conf, now=now + 61)


@pytest.mark.parametrize(("field", "value", "text"), [
    ("question", "x" * 5001, "niet meer dan 5000 tekens"),
    ("name", "n" * 101, "niet meer dan 100 tekens"),
    ("subject", "Hallo\r\nBcc: victim@example.org", "regeleinden of stuurtekens"),
    ("name", "Anne\nde Jong", "regeleinden of stuurtekens"),
    ("email", "not-an-address", "geldig e-mailadres"),
    ("email", "anne@example.org\r\nBcc: x@example.org", "geldig e-mailadres"),
    ("question", "", "verplicht"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
        post_question: Any, field: str, value: str, text: str) -> None:
    response = post_question(**{field: value})
    html = response.content.decode()
    assert response.status_code == 200
    assert text in html, html[html.find("errorlist") - 400:html.find("errorlist") + 400]
    assert f'id="id_{field}_error"' in html
    assert ContactMessage.objects.count() == 0


def test_the_service_refuses_what_the_form_might_let_through() -> None:
    with pytest.raises(DomainError) as refused:
        services.contact_fields(name="A", email="a@example.org", organisation="",
                                subject="Re\u2028Bcc: x@example.org", question="q")
    assert refused.value.field == "subject"
    with pytest.raises(DomainError) as control:
        services.contact_fields(name="A", email="a@example.org", organisation="",
                                subject="s", question="vraag \x00 met nul")
    assert control.value.field == "question"


def test_no_header_or_html_injection_reaches_the_notification(
        people: dict[str, Any], smtp_server: Any) -> None:
    now = timezone.now()
    hostile = ContactMessage.objects.create(
        name="Eve\r\nBcc: victim@example.org", email="eve@example.org",
        organisation="<b>Org</b>\nX-Injected: yes",
        subject="Hallo\r\nBcc: victim@example.org\r\nContent-Type: text/html",
        question="<script>alert(1)</script>\n<a href='http://evil.example'>klik</a>",
        received_at=now, updated_at=now)
    assert services.contact_notify(message_id=hostile.pk) == 1
    (raw,) = smtp_server.messages
    (mail,) = received(smtp_server)
    # only the coordinator was a recipient: nothing smuggled in a header
    assert raw["X-RcptTo"] == people["coordinator"].email
    assert mail["Bcc"] is None and mail["X-Injected"] is None
    assert "\n" not in mail["Subject"] and "victim@example.org" in mail["Subject"]
    # plain text only: the visitor's markup stays text
    assert mail.get_content_type() == "text/plain" and not mail.is_multipart()
    body = mail.get_content()
    assert "<script>alert(1)</script>" in body and "&lt;" not in body
    assert "Naam: Eve Bcc: victim@example.org" in body


def test_the_extra_notify_address_is_used(people: dict[str, Any], smtp_server: Any,
                                          post_question: Any, monkeypatch: Any,
                                          django_capture_on_commit_callbacks: Any) -> None:
    monkeypatch.setenv("VRISAC_CONTACT_NOTIFY", "isac@nipv.example")
    with django_capture_on_commit_callbacks(execute=True):
        post_question()
    assert sorted(m["To"] for m in received(smtp_server)) == sorted(
        ["isac@nipv.example", people["coordinator"].email])


# ------------------------------------------------------------------------------ the inbox


def _message(**fields: Any) -> ContactMessage:
    now = timezone.now()
    values = {"name": "Anne", "email": "anne@example.org", "subject": "Vraag",
              "question": "Mijn vraag", "received_at": now, "updated_at": now}
    values.update(fields)
    return ContactMessage.objects.create(**values)


def test_only_coordinators_see_the_inbox(people: dict[str, Any], client: Client) -> None:
    message = _message(subject="Geheim onderwerp")
    for who in ("utrecht", "partner", "observer", "admin"):
        member = client_for(people[who])
        listing = member.get("/knowledge/contact/")
        assert listing.status_code == 404
        assert "Geheim onderwerp" not in listing.content.decode()
        assert member.get(f"/knowledge/contact/{message.pk}/").status_code == 404
        assert member.post(f"/knowledge/contact/{message.pk}/",
                           {"state": "answered"}).status_code == 404
    assert client.get("/knowledge/contact/").status_code == 302  # to the login page
    assert ContactMessage.objects.get().state == "new"
    # nor is the count of new questions shown to them
    knowledge = client_for(people["utrecht"]).get("/knowledge/").content.decode()
    assert "Contactberichten" not in knowledge


def test_the_inbox_lists_questions_within_a_query_budget(
        people: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    for i in range(30):
        _message(subject=f"Vraag {i}", state="new" if i % 2 else "answered")
    ContactRejection.objects.create(day=timezone.localdate(), reason="honeypot", count=7)
    coordinator = client_for(people["coordinator"])
    coordinator.get("/knowledge/contact/")
    with django_assert_max_num_queries(12):
        response = coordinator.get("/knowledge/contact/?state=new")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="badge badge-state st-new"') == 15
    assert "Validatieveld gewijzigd" in html and "<td>7</td>" in html


def test_a_coordinator_answers_by_e_mail_from_the_platform(
        people: dict[str, Any], smtp_server: Any) -> None:
    message = _message(question="Wie neemt deel?\nEn hoe?", language="nl")
    coordinator = client_for(people["coordinator"])
    page = coordinator.get(f"/knowledge/contact/{message.pk}/")
    assert "Re: Vraag" in page.content.decode()
    response = coordinator.post(f"/knowledge/contact/{message.pk}/", {
        "reply": "1", "subject": "Re: Vraag", "body": "Elke regio en NIPV, twee personen."})
    assert response.status_code == 302
    (mail,) = received(smtp_server)
    assert mail["To"] == "anne@example.org"
    assert mail["Subject"] == "Re: Vraag"
    body = mail.get_content()
    assert body.startswith("Elke regio en NIPV, twee personen.")
    assert "> Wie neemt deel?\n> En hoe?" in body
    message.refresh_from_db()
    assert message.state == "answered" and message.handled_by == people["coordinator"]
    reply = ContactReply.objects.get()
    assert reply.sent_by == people["coordinator"]
    audit = AuditEvent.objects.get(action="knowledge.contact.reply")
    assert audit.actor_id == people["coordinator"].pk and audit.result == "success"
    assert "Elke regio" not in json.dumps(audit.details)  # no content in the audit log
    assert not list(verify_chain())


def test_a_refused_answer_records_nothing_but_the_failure(
        people: dict[str, Any], settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    message = _message()
    with pytest.raises(DomainError) as refused:
        services.contact_reply(message=message, acting_user=people["coordinator"],
                               subject="Re: Vraag", body="Antwoord")
    assert "niets vastgelegd" in refused.value.message or "nothing was recorded" in \
        refused.value.message
    message.refresh_from_db()
    assert message.state == "new" and not ContactReply.objects.exists()
    failure = AuditEvent.objects.get(action="knowledge.contact.reply")
    assert failure.result == "failure"


def test_state_changes_are_audited(people: dict[str, Any]) -> None:
    message = _message()
    coordinator = client_for(people["coordinator"])
    coordinator.post(f"/knowledge/contact/{message.pk}/", {"state": "in_progress"})
    message.refresh_from_db()
    assert message.state == "in_progress"
    event = AuditEvent.objects.get(action="knowledge.contact.state")
    assert event.details == {"from": "new", "to": "in_progress"}
    with pytest.raises(DomainError):
        services.contact_message_set_state(message=message, state="deleted",
                                           acting_user=people["coordinator"])


# ------------------------------------------------------------------------------ retention


def test_questions_are_deleted_after_twelve_months(people: dict[str, Any]) -> None:
    now = timezone.now()
    old = _message(subject="oud", received_at=now - timedelta(days=370))
    ContactReply.objects.create(message=old, subject="Re", body="x",
                                sent_by=people["coordinator"], sent_at=now)
    recent = _message(subject="recent", received_at=now - timedelta(days=300))
    job = job_run("knowledge.contact_retention")
    assert job.result == {"deleted": 1}
    assert list(ContactMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not ContactReply.objects.exists()
    purge = AuditEvent.objects.get(action="knowledge.contact.purge")
    assert purge.details["deleted"] == 1 and purge.details["months"] == 12


def test_the_retention_is_configurable(monkeypatch: Any) -> None:
    _message(received_at=timezone.now() - timedelta(days=100))
    assert services.contact_messages_purge() == 0
    monkeypatch.setenv("VRISAC_CONTACT_RETENTION_MONTHS", "3")
    assert services.contact_messages_purge() == 1


def test_months_are_calendar_months() -> None:
    moment = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
    assert services.months_before(moment, 1).date().isoformat() == "2025-02-28"
    assert services.months_before(moment, 12).date().isoformat() == "2024-03-31"
    assert services.months_before(moment, 13).date().isoformat() == "2024-02-29"


def test_retention_runs_on_the_schedule() -> None:
    entry = next(e for e in SCHEDULE if e.job == "knowledge.contact_retention")
    assert entry.cron.count(" ") == 4
    assert "knowledge.contact_retention" in JOBS and "knowledge.contact_notify" in JOBS


@pytest.mark.parametrize(("name", "value"), [
    ("VRISAC_CONTACT_RETENTION_MONTHS", "0"), ("VRISAC_CONTACT_RETENTION_MONTHS", "twelve"),
    ("VRISAC_CONTACT_MIN_SECONDS", "4"), ("VRISAC_CONTACT_MAX_POSTS", "0"),
    ("VRISAC_CONTACT_NOTIFY", "not-an-address"),
])
def test_a_bad_setting_is_reported_by_check(monkeypatch: Any, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    errors = [e for e in checks.run_checks() if e.id == "knowledge.E001"]
    assert len(errors) == 1 and name in errors[0].msg


# ------------------------------------------------------------------------------ the command


def test_contact_messages_lists_them(people: dict[str, Any]) -> None:
    _message(subject="Eerste", received_at=timezone.now() - timedelta(hours=2))
    _message(subject="Tweede", state="answered")
    out = StringIO()
    call_command("contact_messages", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [r["subject"] for r in rows] == ["Tweede", "Eerste"]
    assert set(rows[0]) >= {"id", "received_at", "state", "name", "email", "question"}
    out = StringIO()
    call_command("contact_messages", "--state", "new", stdout=out)
    assert "Eerste" in out.getvalue() and "Tweede" not in out.getvalue()


def test_a_coordinator_who_leaves_no_longer_hears_of_questions(
        people: dict[str, Any], smtp_server: Any) -> None:
    second = make_person("coordinator", "nipv", name="Tweede Coördinator")
    message = _message()
    assert services.contact_notify(message_id=message.pk) == 2
    second.is_active = False
    second.save()
    assert services.contact_notify(message_id=message.pk) == 1


def test_the_retention_job_runs_from_the_command_line() -> None:
    _message(received_at=timezone.now() - timedelta(days=400))
    out = StringIO()
    call_command("run_job", "knowledge.contact_retention", stdout=out)
    assert json.loads(out.getvalue()) == {"deleted": 1}
