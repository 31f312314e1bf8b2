"""An administrator cannot take over a member's account through the Django admin: each step
of the attack (drop the second factor, change the e-mail address, set the password, see an
invitation link, make themselves a member) is refused or only makes a request that the member
must confirm, and the member's TLP:RED report stays out of the administrator's reach. The
member's own confirmations are the real paths."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client

from vrisac.accounts.models import AccountChangeRequest, User
from vrisac.core.models import AuditEvent
from vrisac.core.testing import PASSWORD, client_for, make_person, make_report, organisation
from vrisac.organisations.models import Membership

LINK = re.compile(r"https?://\S+/accounts/change/([\w-]+)/")


def _administrator() -> User:
    admin = make_person("admin", "veiligheidsberaad")
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    return User.objects.get(pk=admin.pk)


def _mails_to(mailoutbox: list[Any], address: str) -> list[Any]:
    return [m for m in mailoutbox if m.to == [address]]


def _token(mail: Any) -> str:
    found = LINK.search(mail.body)
    assert found, mail.body
    return found.group(1)


@pytest.fixture
def member_and_red_report() -> tuple[User, Any]:
    member = make_person("participant", "utrecht")
    colleague = make_person("participant", "haaglanden")
    red = make_report(colleague, tlp="TLP:RED", audience="people", audience_people=[member],
                      title="Alleen voor het lid")
    return member, red


@pytest.mark.django_db
def test_an_administrator_cannot_take_over_a_members_account_through_the_admin(
        member_and_red_report: tuple[User, Any], mailoutbox: list[Any],
        django_capture_on_commit_callbacks: Any) -> None:
    member, red = member_and_red_report
    admin = _administrator()
    web = client_for(admin)
    assert web.get("/django-admin/").status_code == 200
    factors = set(Authenticator.objects.filter(user=member).values_list("pk", flat=True))
    assert factors

    # 1. allauth's authenticator admin (and its bulk delete of everyone's second factor), its
    #    e-mail address admin and Django's groups are gone.
    for url in ("/django-admin/mfa/authenticator/", "/django-admin/account/emailaddress/",
                "/django-admin/auth/group/"):
        assert web.get(url).status_code == 404, url
    bulk = web.post("/django-admin/mfa/authenticator/", {
        "action": "delete_selected", "select_across": "1", "index": "0",
        "_selected_action": list(factors), "post": "yes"})
    assert bulk.status_code == 404
    assert set(Authenticator.objects.filter(user=member).values_list("pk", flat=True)) == factors

    # 2. The person's page is read-only: no e-mail, password, staff or superuser change.
    page = web.get(f"/django-admin/accounts/user/{member.pk}/change/")
    assert page.status_code == 200 and 'name="email"' not in page.content.decode()
    changed = web.post(f"/django-admin/accounts/user/{member.pk}/change/", {
        "email": "overgenomen@evil.example", "name": "X", "is_active": "on", "is_staff": "on",
        "is_superuser": "on", "notify_mode": "none"})
    assert changed.status_code == 403
    # No password form (Django's admin sends the unknown path back to its index), no delete.
    password_page = web.get(f"/django-admin/accounts/user/{member.pk}/password/", follow=True)
    assert 'name="password1"' not in password_page.content.decode()
    assert web.post(f"/django-admin/accounts/user/{member.pk}/password/",
                    {"password1": "Overgenomen-2027!", "password2": "Overgenomen-2027!"}
                    ).status_code in (302, 403, 404)
    assert web.post(f"/django-admin/accounts/user/{member.pk}/delete/",
                    {"post": "yes"}).status_code == 403
    member.refresh_from_db()
    assert not member.is_staff and not member.is_superuser
    assert member.email.endswith("@utrecht.test.example")

    # 3. A second-factor reset is only a request: the link goes to the member, not the admin.
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post("/django-admin/accounts/user/", {
            "action": "request_mfa_reset", "_selected_action": [member.pk]}, follow=True)
    assert response.status_code == 200
    assert set(Authenticator.objects.filter(user=member).values_list("pk", flat=True)) == factors
    [reset_mail] = _mails_to(mailoutbox, member.email)
    reset_token = _token(reset_mail)
    assert reset_token not in response.content.decode()
    assert [m.to for m in mailoutbox] == [[member.email]]
    # Even holding the link, the administrator does not know the member's password.
    guess = Client().post(f"/accounts/change/{reset_token}/", {"password": "Een-Gok-123456"})
    assert guess.status_code == 200
    assert AuditEvent.objects.filter(action="mfa.reset", result="denied").exists()
    assert set(Authenticator.objects.filter(user=member).values_list("pk", flat=True)) == factors

    # 4. An e-mail change to a mailbox the administrator holds changes nothing: the link works
    #    only in the member's own session, and the member's current address is told.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(f"/django-admin/accounts/user/{member.pk}/email-change/",
                            {"email": "beheerder@evil.example"})
    assert response.status_code == 302
    assert _mails_to(mailoutbox, member.email)
    email_token = _token(_mails_to(mailoutbox, "beheerder@evil.example")[0])
    assert web.get(f"/accounts/change/{email_token}/").status_code == 404
    assert web.post(f"/accounts/change/{email_token}/").status_code == 404
    anonymous = Client().post(f"/accounts/change/{email_token}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    member.refresh_from_db()
    assert member.email.endswith("@utrecht.test.example")
    assert not EmailAddress.objects.filter(email="beheerder@evil.example").exists()
    # ... nor can the password be reset through the new address, which is no address yet.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password/reset/", {"email": "beheerder@evil.example"})
    assert not [m for m in mailoutbox if "password/reset/key" in m.body]

    # 5. The password: the reset e-mail goes to the member's own address only.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        web.post("/django-admin/accounts/user/", {
            "action": "send_password_reset", "_selected_action": [member.pk]})
    assert [m.to for m in mailoutbox] == [[member.email]]
    assert User.objects.get(pk=member.pk).check_password(PASSWORD)

    # 6. Ending the member's seat and inviting the address again does not show the link (who
    #    saw it could set the password), and no one invites themselves.
    membership = Membership.objects.get(user=member, status="active")
    web.post("/django-admin/organisations/membership/", {
        "action": "end_memberships", "_selected_action": [membership.pk]})
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invited = web.post("/django-admin/organisations/membership/add/", {
            "organisation": organisation("utrecht").pk, "role": "participant",
            "email": member.email, "name": member.name}, follow=True)
    assert invited.status_code == 200
    [invitation_mail] = _mails_to(mailoutbox, member.email)
    link = re.search(r"/invite/([\w-]+)/", invitation_mail.body)
    assert link and link.group(1) not in invited.content.decode()
    myself = web.post("/django-admin/organisations/membership/add/", {
        "organisation": organisation("twente").pk, "role": "participant",
        "email": admin.email, "name": admin.name})
    assert myself.status_code == 200
    assert not Membership.objects.filter(user=admin, organisation__slug="twente").exists()

    # Whatever the administrator did is audited as theirs; the report stays unreadable.
    actions = set(AuditEvent.objects.filter(actor_id=admin.pk).values_list("action", flat=True))
    assert {"mfa.reset_request", "email.change_request", "password.reset_request",
            "membership.end", "membership.invite"} <= actions
    assert web.get(f"/reports/{red.pk}/").status_code == 404
    assert AccountChangeRequest.objects.filter(user=member, confirmed_at__isnull=False).count() \
        == 0


@pytest.mark.django_db(transaction=True)  # allauth announces the new factor on commit
def test_the_member_confirms_a_second_factor_reset_with_their_password(
        mailoutbox: list[Any]) -> None:
    member = make_person("participant", "utrecht")
    admin = _administrator()
    from vrisac.accounts.services import mfa_reset_request

    mfa_reset_request(user=member, acting_user=admin)
    token = _token(_mails_to(mailoutbox, member.email)[0])
    before = client_for(member)
    assert before.get("/dashboard/").status_code == 200
    assert Client().get(f"/accounts/change/{token}/").status_code == 200
    done = Client().post(f"/accounts/change/{token}/", {"password": PASSWORD})
    assert done.status_code == 302
    assert not Authenticator.objects.filter(user=member).exists()
    assert before.get("/dashboard/").status_code == 302  # every session ended
    row = AuditEvent.objects.get(action="mfa.reset", actor_id=member.pk, result="success")
    assert row.details["requested_by"] == admin.pk
    assert any("opnieuw ingesteld" in m.subject for m in _mails_to(mailoutbox, member.email))
    assert Client().get(f"/accounts/change/{token}/").status_code == 404  # used
    # The next login enrols a new authenticator app.
    web = Client()
    web.post("/accounts/login/", {"login": member.email, "password": PASSWORD})
    response = web.get("/dashboard/")
    assert response.status_code == 302 and "/2fa/totp/activate/" in response["Location"]


@pytest.mark.django_db
def test_the_member_confirms_an_email_change_in_their_own_session(
        mailoutbox: list[Any], django_capture_on_commit_callbacks: Any) -> None:
    member = make_person("participant", "utrecht")
    old = member.email
    admin = _administrator()
    from vrisac.accounts.services import email_change_request

    with django_capture_on_commit_callbacks(execute=True):
        email_change_request(user=member, new_email="nieuw@vru.example", acting_user=admin)
    token = _token(_mails_to(mailoutbox, "nieuw@vru.example")[0])
    web = client_for(member)
    assert web.get(f"/accounts/change/{token}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post(f"/accounts/change/{token}/").status_code == 302
    member.refresh_from_db()
    assert member.email == "nieuw@vru.example"
    assert list(EmailAddress.objects.filter(user=member).values_list(
        "email", "verified", "primary")) == [("nieuw@vru.example", True, True)]
    assert AuditEvent.objects.filter(action="email.change", actor_id=member.pk,
                                     details__old_email=old).exists()
    assert len(_mails_to(mailoutbox, old)) == 2  # the notice, then the change
