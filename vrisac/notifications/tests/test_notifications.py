from __future__ import annotations

from email.message import Message
from typing import Any

import pytest
from django.core.management import call_command

from vrisac.core.testing import client_for, make_person, make_report
from vrisac.notifications.models import Notification
from vrisac.notifications.services import send_digests
from vrisac.reports.services import comment_create, report_update


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def mails_to(server: Any, email: str) -> list[Message]:
    return [m for m in server.messages if email in m["To"]]


@pytest.mark.django_db
@pytest.mark.smtp
def test_amber_mail_carries_only_kind_label_and_link(
    smtp_server: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    author = make_person("participant", "utrecht")
    reader = make_person("participant", "haaglanden")
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(author, tlp="TLP:AMBER", title="Secret title XYZ",
                             summary="Secret summary QRS", kind="incident")
    [mail] = mails_to(smtp_server, reader.email)
    text = body_of(mail)
    assert "TLP:AMBER" in mail["Subject"] + text
    assert f"/reports/{report.pk}/" in text
    assert "Secret title XYZ" not in text + mail["Subject"]
    assert "Secret summary QRS" not in text
    assert not mails_to(smtp_server, author.email)


@pytest.mark.django_db
@pytest.mark.smtp
def test_green_mail_carries_title_and_summary(
    smtp_server: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    author = make_person("participant", "utrecht")
    reader = make_person("participant", "haaglanden")
    with django_capture_on_commit_callbacks(execute=True):
        make_report(author, tlp="TLP:GREEN", title="Phishing wave", summary="Watch out")
    text = body_of(mails_to(smtp_server, reader.email)[0])
    assert "Phishing wave" in text and "Watch out" in text


@pytest.mark.django_db
@pytest.mark.smtp
def test_red_goes_to_named_people_only_and_never_with_content(
    smtp_server: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    author = make_person("participant", "utrecht")
    named = make_person("coordinator", "nipv")
    other = make_person("participant", "haaglanden")
    with django_capture_on_commit_callbacks(execute=True):
        make_report(author, tlp="TLP:RED", audience="people", audience_people=[named],
                    title="Red title", summary="Red summary")
    assert not mails_to(smtp_server, other.email)
    [mail] = mails_to(smtp_server, named.email)
    assert "Red title" not in body_of(mail) + mail["Subject"]
    assert "Red summary" not in body_of(mail)


@pytest.mark.django_db
@pytest.mark.smtp
def test_digest_and_none_preferences(
    smtp_server: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    author = make_person("participant", "utrecht")
    digest = make_person("participant", "haaglanden")
    silent = make_person("participant", "zeeland")
    for user, mode in ((digest, "digest"), (silent, "none")):
        user.notify_mode = mode
        user.save(update_fields=["notify_mode"])
    with django_capture_on_commit_callbacks(execute=True):
        make_report(author, tlp="TLP:GREEN", title="One")
        make_report(author, tlp="TLP:AMBER", title="Two")
    assert not mails_to(smtp_server, digest.email) and not mails_to(smtp_server, silent.email)
    assert Notification.objects.filter(recipient=silent).count() == 2
    result = send_digests()
    assert result == {"people": 1, "items": 2}
    [mail] = mails_to(smtp_server, digest.email)
    text = body_of(mail)
    assert "One" in text and "Two" not in text  # the AMBER item is listed without its title
    assert send_digests() == {"people": 0, "items": 0}
    assert not mails_to(smtp_server, silent.email)


@pytest.mark.django_db
def test_comment_on_my_report_notifies_me(django_capture_on_commit_callbacks: Any,
                                          mailoutbox: list[Any]) -> None:
    author = make_person("participant", "utrecht")
    reader = make_person("participant", "haaglanden")
    report = make_report(author)
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(report=report, author=reader, body="Ook bij ons")
    assert Notification.objects.filter(recipient=author, kind="comment").count() == 1
    assert any(author.email in m.to for m in mailoutbox)


@pytest.mark.django_db
def test_inbox_follows_the_policy_now(django_capture_on_commit_callbacks: Any) -> None:
    author = make_person("participant", "utrecht")
    reader = make_person("participant", "haaglanden")
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(author, title="Narrowed later")
    web = client_for(reader)
    assert "Narrowed later" in web.get("/notifications/").content.decode()
    report_update(report=report, acting_user=author, audience="organisation")
    assert "Narrowed later" not in web.get("/notifications/").content.decode()
    assert web.post("/notifications/read/").status_code == 302


@pytest.mark.django_db
def test_without_smtp_mail_goes_to_files(settings: Any, tmp_path: Any,
                                         django_capture_on_commit_callbacks: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    author = make_person("participant", "utrecht")
    make_person("participant", "haaglanden")
    with django_capture_on_commit_callbacks(execute=True):
        make_report(author, tlp="TLP:GREEN")
    assert list((tmp_path / "mail").iterdir())


@pytest.mark.django_db
def test_digest_job_runs_from_the_command_line(capsys: Any) -> None:
    call_command("run_job", "notifications.digest")
    assert '"people": 0' in capsys.readouterr().out


@pytest.mark.django_db
def test_the_unread_count_is_the_inbox_counted() -> None:
    """The header's number (the policy's predicate form) says what the inbox (its filter
    form) lists, unread, for every audience, a narrowed report and warnings of two regions."""
    from vrisac.advisories.models import Vulnerability
    from vrisac.alerts.models import Warning
    from vrisac.alerts.tests.helpers import add_item
    from vrisac.core.testing import organisation
    from vrisac.notifications.selectors import notification_list, unread_count
    from vrisac.reports.services import report_retract

    author = make_person("participant", "utrecht")
    reader = make_person("participant", "haaglanden")
    stranger = make_person("participant", "noord-en-oost-gelderland")
    own, other = organisation("haaglanden"), organisation("noord-en-oost-gelderland")
    seen = [make_report(author),
            make_report(author, audience="partners"),
            make_report(author, audience="organisations", audience_organisations=[own]),
            make_report(author, tlp="TLP:RED", audience="people", audience_people=[reader])]
    report_retract(report=seen[1], acting_user=author, reason="dubbel")  # retracted: still seen
    unseen = [make_report(author, audience="organisation"),
              make_report(author, audience="organisations", audience_organisations=[other]),
              make_report(author, tlp="TLP:RED", audience="people", audience_people=[stranger]),
              make_report(author, publish=False)]
    narrowed = make_report(author)
    Notification.objects.filter(recipient=reader).delete()  # publishing made some: ours only
    for report in [*seen, *unseen, narrowed]:
        Notification.objects.create(recipient=reader, kind="report", report=report)
    Notification.objects.create(recipient=reader, kind="report", report=seen[0],
                                read_at=seen[0].created_at)
    vulnerability = Vulnerability.objects.create(cve_id="CVE-2024-0001")
    for person in (reader, stranger):
        warning = Warning.objects.create(
            organisation=organisation("haaglanden" if person is reader else
                                      "noord-en-oost-gelderland"),
            item=add_item(person, vendor="Citrix", product="ADC"),
            vulnerability=vulnerability, priority="high", confidence="confirmed")
        Notification.objects.create(recipient=reader, kind="warning", warning=warning)

    def inbox() -> int:
        return notification_list(user=reader).filter(read_at__isnull=True).count()

    assert unread_count(user=reader) == inbox() == len(seen) + 1 + 1  # + narrowed + warning
    report_update(report=narrowed, acting_user=author, audience="organisation")
    assert unread_count(user=reader) == inbox() == len(seen) + 1
