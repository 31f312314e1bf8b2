"""A pending invitation grants nothing: a removed person who is invited again cannot log in
with their old password and authenticator app, and reads nothing, until they accept; accepting
sets new credentials (a new password, a new authenticator app; the old ones are dropped)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.test import Client

from vrisac.accounts.models import User
from vrisac.accounts.services import token_create
from vrisac.core.errors import DomainError
from vrisac.core.testing import PASSWORD, api_client, make_person, make_report, organisation
from vrisac.organisations.services import membership_end, membership_invite
from vrisac.reports.models import Report
from vrisac.sharing.policy import forget_viewer, viewer_for

NEW_PASSWORD = "Een-Heel-Nieuw-Wachtwoord-2027"


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _login(web: Client, email: str, password: str) -> Any:
    return web.post("/accounts/login/", {"login": email, "password": password})


@pytest.mark.django_db(transaction=True)  # allauth announces a new factor on commit
def test_a_removed_person_invited_again_gets_nothing_until_they_accept_with_new_credentials(
) -> None:
    leaver = make_person("participant", "groningen")
    colleague = make_person("participant", "haaglanden")
    red = make_report(colleague, tlp="TLP:RED", audience="people", audience_people=[leaver],
                      title="Rood voor de vertrekker")
    make_report(colleague, tlp="TLP:GREEN", audience="participants", title="Voor iedereen")
    old_secret = decrypt(Authenticator.objects.get(user=leaver, type="totp").data["secret"])
    membership_end(membership=leaver.memberships.get(status="active"))
    invitation = membership_invite(organisation=organisation("groningen"), email=leaver.email,
                                   name=leaver.name, send_email=False)

    # Before accepting: the old password (and so the old authenticator app) opens nothing.
    web = Client()
    response = _login(web, leaver.email, PASSWORD)
    assert "/2fa/authenticate/" not in response.get("Location", "")
    web.post("/accounts/2fa/authenticate/", {"code": _code(old_secret)})
    assert web.get("/dashboard/").status_code == 302
    assert web.get(f"/reports/{red.pk}/").status_code in (302, 404)
    # Nor does the invitation give roles, reads or a token, for any face.
    pending = User.objects.get(pk=leaver.pk)
    forget_viewer(pending)
    assert viewer_for(pending).roles == frozenset()
    assert not Report.objects.visible_to(pending).exists()
    with pytest.raises(DomainError):
        token_create(user=pending)
    # Nor can a password reset open the account before it is accepted.
    assert not pending.is_active

    # Accepting sets a new password; the old one is refused, and so is reusing it.
    url = f"/invite/{invitation.raw_token}/"
    reuse = web.post(url, {"name": leaver.name, "password": PASSWORD, "password2": PASSWORD})
    assert reuse.status_code == 200
    accepted = web.post(url, {"name": leaver.name, "password": NEW_PASSWORD,
                              "password2": NEW_PASSWORD})
    assert accepted.status_code == 302
    assert not Authenticator.objects.filter(user=leaver).exists()  # TOTP and recovery codes
    assert "/2fa/authenticate/" not in _login(Client(), leaver.email, PASSWORD).get(
        "Location", "")
    # The new password logs in, and the first thing is a new authenticator app.
    web = Client()
    response = _login(web, leaver.email, NEW_PASSWORD)
    assert response.status_code == 302 and "/2fa/authenticate/" not in response["Location"]
    response = web.get("/dashboard/")
    assert response.status_code == 302 and "/2fa/totp/activate/" in response["Location"]
    page = web.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret
    assert secret != old_secret
    assert web.post("/accounts/2fa/totp/activate/", {"code": _code(secret)}).status_code == 302
    assert web.get(f"/reports/{red.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_new_invitee_holds_a_seat_but_reads_nothing() -> None:
    invitation = membership_invite(organisation=organisation("twente"),
                                   email="nog-niet@twente.example", name="Nog Niet",
                                   send_email=False)
    user = invitation.membership.user
    make_report(make_person("participant", "utrecht"), tlp="TLP:GREEN",
                audience="participants")
    assert not user.is_active
    assert viewer_for(user).roles == frozenset()
    assert not Report.objects.visible_to(user).exists()
    with pytest.raises(DomainError):
        api_client(user)
    # The seat is still held: the third invitation for the region is refused.
    membership_invite(organisation=organisation("twente"), email="tweede@twente.example",
                      name="Tweede", send_email=False)
    with pytest.raises(DomainError):
        membership_invite(organisation=organisation("twente"), email="derde@twente.example",
                          name="Derde", send_email=False)
