from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from vrisac.accounts.adapters import SESSION_AUTH_AT
from vrisac.accounts.models import User
from vrisac.core.models import AuditEvent
from vrisac.core.testing import PASSWORD, client_for, make_person


def current_code(user: Any) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def password_step(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password})


@pytest.mark.django_db
def test_login_needs_password_and_the_second_factor() -> None:
    person = make_person("participant", "utrecht")
    web = Client()
    response = password_step(web, person.email)
    assert response.status_code == 302 and "/2fa/authenticate/" in response["Location"]
    assert web.get("/dashboard/").status_code == 302  # not logged in yet
    wrong = web.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert AuditEvent.objects.filter(action="login", result="failure",
                                     details__reason="wrong second-factor code").exists()
    response = web.post("/accounts/2fa/authenticate/", {"code": current_code(person)})
    assert response.status_code == 302
    assert web.get("/dashboard/").status_code == 200
    actions = list(AuditEvent.objects.filter(actor_id=person.pk, action="login")
                   .values_list("result", flat=True))
    assert actions == ["success"]


@pytest.mark.django_db
def test_failed_logins_are_audited_without_the_password() -> None:
    person = make_person("participant", "utrecht")
    password_step(Client(), person.email, "Wrong-Password-123")
    row = AuditEvent.objects.get(action="login", result="failure")
    assert row.actor_label == person.email
    assert "Wrong-Password" not in str(row.details)


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_out(settings: Any) -> None:
    person = make_person("participant", "utrecht")
    web = Client()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        assert password_step(web, person.email, "Wrong-Password-123").status_code == 200
    locked = password_step(web, person.email)  # the right password, too late
    assert locked.status_code == 200
    assert "/2fa/" not in locked.get("Location", "")
    # The message says how long the wait lasts, and the ways in that remain.
    minutes = settings.LOGIN_LOCKOUT_SECONDS // 60
    assert f"{minutes} minuten" in locked.content.decode()
    assert "apparaat" in locked.content.decode()


@pytest.mark.django_db
def test_repeated_failures_lock_the_address_out(settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    people = [make_person("partner", "ncsc") for _ in range(4)]
    web = Client()
    for person in people[:3]:
        password_step(web, person.email, "Wrong-Password-123")
    response = password_step(web, people[3].email)
    assert "/2fa/" not in response.get("Location", "")
    # Another address is not held back for that person.
    elsewhere = password_step(Client(REMOTE_ADDR="192.0.2.9"), people[3].email)
    assert "/2fa/authenticate/" in elsewhere.get("Location", "")


@pytest.mark.django_db(transaction=True)  # allauth announces the new factor on commit
def test_enrolment_of_the_authenticator_app_is_required() -> None:
    person = make_person("participant", "utrecht", totp=False)
    web = Client()
    response = password_step(web, person.email)
    assert response.status_code == 302
    response = web.get("/dashboard/")
    assert response.status_code == 302 and "/2fa/totp/activate/" in response["Location"]
    page = web.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = web.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302 and "recovery-codes" in response["Location"]
    assert Authenticator.objects.filter(user=person, type="recovery_codes").exists()
    assert web.get("/dashboard/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.add", actor_id=person.pk).exists()


@pytest.mark.django_db
def test_the_authenticator_app_cannot_be_switched_off() -> None:
    person = make_person("participant", "utrecht")
    web = client_for(person)
    web.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = web.post("/accounts/2fa/totp/deactivate/", {})
    assert Authenticator.objects.filter(user=person, type="totp").exists()
    assert response.status_code in (200, 302, 403)


@pytest.mark.django_db
def test_absolute_session_timeout(settings: Any) -> None:
    person = make_person("participant", "utrecht")
    web = client_for(person)
    assert web.get("/dashboard/").status_code == 200
    session = web.session
    session[SESSION_AUTH_AT] = int(time.time()) - settings.SESSION_ABSOLUTE_TIMEOUT - 1
    session.save()
    response = web.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert web.get("/dashboard/").status_code == 302


@pytest.mark.django_db
def test_idle_timeout_is_the_session_age(settings: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT == 30 * 60
    person = make_person("participant", "utrecht")
    web = client_for(person)
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from vrisac.accounts.middleware import SESSION_RENEW_SECONDS, SESSION_RENEWED_AT

    def expiry() -> Any:
        return Session.objects.get(session_key=web.session.session_key).expire_date

    # Activity renews the idle time-out, at most once a minute (not a write per request).
    Session.objects.filter(session_key=web.session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=5))
    assert web.get("/dashboard/").status_code == 200
    renewed = expiry()
    assert renewed > timezone.now() + timedelta(minutes=29)
    assert web.get("/dashboard/").status_code == 200
    assert expiry() == renewed
    session = web.session
    session[SESSION_RENEWED_AT] -= SESSION_RENEW_SECONDS
    session.save()
    Session.objects.filter(session_key=web.session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=5))
    assert web.get("/dashboard/").status_code == 200
    assert expiry() > timezone.now() + timedelta(minutes=29)
    # Idle past the time-out: logged out.
    Session.objects.filter(session_key=web.session.session_key).update(
        expire_date=timezone.now())
    assert web.get("/dashboard/").status_code == 302


@pytest.mark.django_db
def test_sensitive_changes_ask_to_reauthenticate() -> None:
    person = make_person("participant", "utrecht")
    web = client_for(person)
    session = web.session
    session.pop("account_authentication_records", None)
    session.save()
    new = "Another-Long-Pass-2027"
    response = web.post("/accounts/password/change/",
                        {"oldpassword": PASSWORD, "password1": new, "password2": new})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert not User.objects.get(pk=person.pk).check_password(new)
    response = web.post("/accounts/email/", {"action_add": "", "email": "other@x.example"})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    response = web.get("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302 and "reauthenticate" in response["Location"]


@pytest.mark.django_db
def test_django_admin_login_goes_through_the_platform_login() -> None:
    response = Client().get("/django-admin/login/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_signup_is_closed() -> None:
    response = Client().post("/accounts/signup/", {"email": "x@y.example",
                                                   "password1": "Long-Enough-Pass-77"})
    assert not User.objects.filter(email="x@y.example").exists()
    assert response.status_code in (200, 302, 403)


@pytest.mark.django_db
def test_totp_command_prints_codes_for_demo_accounts_only(capsys: Any) -> None:
    person = make_person("participant", "utrecht")
    with pytest.raises(CommandError, match="refused"):
        call_command("totp", "--email", person.email)
    person.is_demo = True
    person.save(update_fields=["is_demo"])
    call_command("totp", "--email", person.email)
    code = capsys.readouterr().out.strip()
    assert code == current_code(person)
    with pytest.raises(CommandError, match="refused"):
        call_command("totp", "--email", "nobody@nowhere.example")


@pytest.mark.django_db
def test_after_reauthentication_the_password_can_change() -> None:
    person = make_person("participant", "utrecht")
    web = client_for(person)
    response = web.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    new = "Another-Long-Pass-2027"
    response = web.post("/accounts/password/change/",
                        {"oldpassword": PASSWORD, "password1": new, "password2": new})
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).check_password(new)
    assert AuditEvent.objects.filter(action="password.change", actor_id=person.pk).exists()
