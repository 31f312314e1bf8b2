"""Wrong passwords back off the attacker, not the account's owner: five from one address make
the account wait on unknown devices, with a wait that doubles for whoever keeps trying, while
the owner still logs in from a known device or through a password reset by e-mail; the
coordinators see the locked account."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from vrisac.accounts import throttle
from vrisac.accounts.models import LoginThrottle, User
from vrisac.accounts.services import sessions_end
from vrisac.core.models import AuditEvent
from vrisac.core.testing import PASSWORD, client_for, make_person

from .test_login import current_code


def next_code(person: User) -> str:
    """The code of the next period (accepted within the drift allowed; a code used once is
    refused a second time)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    secret = decrypt(Authenticator.objects.get(user=person, type="totp").data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + 1))

ATTACKER = "203.0.113.66"
OWNER_HOME = "198.51.100.20"
OWNER_NEW = "192.0.2.44"
WRONG = "Wrong-Password-123"


def _password(web: Client, email: str, password: str = PASSWORD) -> Any:
    return web.post("/accounts/login/", {"login": email, "password": password})


def _reaches_second_factor(response: Any) -> bool:
    return response.status_code == 302 and "/2fa/authenticate/" in response["Location"]


def _known_device(person: User) -> Client:
    """The owner's browser: logged in once with password and code, then logged out."""
    web = Client(REMOTE_ADDR=OWNER_HOME)
    assert _reaches_second_factor(_password(web, person.email))
    assert web.post("/accounts/2fa/authenticate/", {"code": current_code(person)}
                    ).status_code == 302
    assert settings.VRISAC_KNOWN_DEVICE_COOKIE in web.cookies
    web.post("/accounts/logout/")
    return web


def _later(monkeypatch: Any, seconds: float) -> None:
    now = time.time() + seconds
    monkeypatch.setattr(throttle, "_now", lambda: now)


@pytest.mark.django_db
def test_five_wrong_passwords_from_one_address_back_off_the_attacker_not_the_owner(
        monkeypatch: Any) -> None:
    person = make_person("participant", "utrecht")
    device = _known_device(person)
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        assert _password(attacker, person.email, WRONG).status_code == 200
    # The attacker is held off, even with the right password.
    held = _password(attacker, person.email)
    assert not _reaches_second_factor(held)
    assert "minuten" in held.content.decode()

    # The owner, from the known device, logs in (also behind the attacker's address).
    assert _reaches_second_factor(_password(device, person.email))
    assert device.post("/accounts/2fa/authenticate/", {"code": next_code(person)}
                       ).status_code == 302
    assert device.get("/dashboard/").status_code == 200
    device.post("/accounts/logout/")
    same_address = Client(REMOTE_ADDR=ATTACKER)
    same_address.cookies[settings.VRISAC_KNOWN_DEVICE_COOKIE] = device.cookies[
        settings.VRISAC_KNOWN_DEVICE_COOKIE].value
    assert _reaches_second_factor(_password(same_address, person.email))
    # From a new device at another address the account backs off, and says what to do.
    new_device = _password(Client(REMOTE_ADDR=OWNER_NEW), person.email)
    assert not _reaches_second_factor(new_device)
    assert "wachtwoord" in new_device.content.decode()
    # Another person's login from the attacker's address is not held (20 per address).
    other = make_person("participant", "haaglanden")
    assert _reaches_second_factor(_password(Client(REMOTE_ADDR=ATTACKER), other.email))

    # The attacker keeps backing off: each wrong password after a wait doubles the next.
    def wait_of(row: LoginThrottle) -> float:
        assert row.blocked_until is not None
        return row.blocked_until.timestamp() - row.last_failure_at.timestamp()

    row = LoginThrottle.objects.get(user=person)
    first_wait = wait_of(row)
    _later(monkeypatch, first_wait + 1)
    assert _password(attacker, person.email, WRONG).status_code == 200
    row.refresh_from_db()
    second_wait = wait_of(row)
    assert second_wait == 2 * first_wait
    assert not _reaches_second_factor(_password(attacker, person.email))
    assert (row.failures, len(row.addresses)) == (settings.LOGIN_FAILURES_PER_ACCOUNT + 1, 1)
    assert AuditEvent.objects.filter(action="login.lockout", object_id=str(person.pk)).count() \
        == 1

    # The coordinators see the locked account: who, since when, from how many addresses.
    coordinator = client_for(make_person("coordinator", "nipv"))
    page = coordinator.get("/members/").content.decode()
    section = page[page.index("Geblokkeerde accounts"):]
    assert person.email in section
    assert re.search(r"<td>\s*1\s*</td>", section)
    # ... and may lift the lock for a person who asks from a new device.
    assert coordinator.post(f"/members/locked/{person.pk}/unlock/").status_code == 302
    assert _reaches_second_factor(_password(Client(REMOTE_ADDR=OWNER_NEW), person.email))


@pytest.mark.django_db
def test_wrong_passwords_on_a_known_device_back_off_that_device_only() -> None:
    person = make_person("participant", "utrecht")
    device = _known_device(person)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        _password(device, person.email, WRONG)
    assert not _reaches_second_factor(_password(device, person.email))
    assert not LoginThrottle.objects.filter(user=person).exists()
    assert _reaches_second_factor(_password(Client(REMOTE_ADDR=OWNER_NEW), person.email))


@pytest.mark.django_db
def test_a_known_device_is_forgotten_when_the_sessions_end() -> None:
    """Removal, "end all sessions" and a new password forget every known device."""
    person = make_person("participant", "utrecht")
    device = _known_device(person)
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        _password(attacker, person.email, WRONG)
    sessions_end(user=person, reason="lost laptop")
    assert not _reaches_second_factor(_password(device, person.email))


@pytest.mark.django_db
def test_a_password_reset_by_email_lifts_the_lock(mailoutbox: list[Any]) -> None:
    person = make_person("participant", "utrecht")
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        _password(attacker, person.email, WRONG)
    owner = Client(REMOTE_ADDR=OWNER_NEW)
    assert not _reaches_second_factor(_password(owner, person.email))
    owner.post("/accounts/password/reset/", {"email": person.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mailoutbox[-1].body)
    assert link
    form_page = owner.get(link.group(1), follow=True)
    new = "Een-Nieuw-Wachtwoord-Na-Reset-2027"
    done = owner.post(form_page.request["PATH_INFO"], {"password1": new, "password2": new})
    assert done.status_code == 302
    assert not LoginThrottle.objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(action="login.unlock", object_id=str(person.pk)).exists()
    assert _reaches_second_factor(_password(owner, person.email, new))
