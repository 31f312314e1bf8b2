from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test import Client
from django.utils import timezone, translation

from vrisac.accounts.models import ApiToken, User
from vrisac.core.errors import DomainError
from vrisac.core.models import AuditEvent
from vrisac.core.testing import api_client, client_for, login, make_person, organisation
from vrisac.organisations.models import Membership, Organisation
from vrisac.organisations.services import (
    SeatLimitReached,
    invitation_accept,
    membership_end,
    membership_hand_over,
    membership_invite,
)


@pytest.mark.django_db
def test_the_28_organisations_are_there() -> None:
    kinds = dict(Organisation.objects.values_list("slug", "kind"))
    assert len(kinds) == 28
    assert sum(1 for k in kinds.values() if k == "region") == 25
    assert kinds["nipv"] == "institute"
    assert kinds["veiligheidsberaad"] == "owner"
    assert kinds["ncsc"] == "partner"
    assert Organisation.objects.get(number=13).slug == "amsterdam-amstelland"


@pytest.mark.django_db
def test_two_seats_and_a_pending_invitation_holds_one() -> None:
    make_person("participant", "zeeland")
    pending = membership_invite(organisation=organisation("zeeland"), email="b@zeeland.example",
                                name="B", send_email=False)
    with pytest.raises(SeatLimitReached):
        membership_invite(organisation=organisation("zeeland"), email="c@zeeland.example",
                          name="C", send_email=False)
    membership_end(membership=pending.membership)
    membership_invite(organisation=organisation("zeeland"), email="c@zeeland.example",
                      name="C", send_email=False)


@pytest.mark.django_db
def test_an_expired_invitation_frees_its_seat() -> None:
    make_person("participant", "drenthe")
    stale = membership_invite(organisation=organisation("drenthe"), email="x@drenthe.example",
                              name="X", send_email=False)
    Membership.objects.filter(pk=stale.membership.pk).update(
        invite_expires_at=timezone.now() - timedelta(minutes=1))
    membership_invite(organisation=organisation("drenthe"), email="y@drenthe.example",
                      name="Y", send_email=False)
    with pytest.raises(DomainError):
        invitation_accept(raw_token=stale.raw_token, password="Long-Enough-Pass-77")


@pytest.mark.django_db
def test_owner_and_partner_have_no_seat_limit() -> None:
    for _ in range(3):
        make_person("partner", "ncsc")
        make_person("observer", "veiligheidsberaad")
    assert Membership.objects.holding_seat().filter(organisation__slug="ncsc").count() == 3


@pytest.mark.django_db
@translation.override("en")
def test_roles_must_fit_the_organisation() -> None:
    with pytest.raises(DomainError, match="does not fit"):
        membership_invite(organisation=organisation("ncsc"), email="a@b.example", name="A",
                          role="participant", send_email=False)
    with pytest.raises(DomainError, match="does not fit"):
        membership_invite(organisation=organisation("utrecht"), email="a@b.example", name="A",
                          role="observer", send_email=False)


@pytest.mark.django_db
def test_participants_cannot_manage_seats() -> None:
    participant = make_person("participant", "twente")
    with pytest.raises(DomainError):
        membership_invite(organisation=organisation("twente"), email="z@twente.example",
                          name="Z", acting_user=participant, send_email=False)
    assert client_for(participant).get("/members/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_invitations_for_the_last_seat_give_one_seat() -> None:
    make_person("participant", "flevoland")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def invite(n: int) -> None:
        try:
            barrier.wait()
            membership_invite(organisation=Organisation.objects.get(slug="flevoland"),
                              email=f"racer{n}@flevoland.example", name=f"Racer {n}",
                              send_email=False)
            outcomes.append("seat")
        except SeatLimitReached:
            outcomes.append("refused")
        except Exception as exc:  # pragma: no cover
            outcomes.append(f"error {exc!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=invite, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "seat"]
    assert Membership.objects.holding_seat().filter(organisation__slug="flevoland").count() == 2


@pytest.mark.django_db
def test_add_member_command_prints_link_and_refuses_a_third_seat(capsys: Any) -> None:
    call_command("add_member", "--org", "zeeland", "--email", "a@zeeland.example",
                 "--name", "Anne Zeeland")
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("http") and "/invite/" in out[-1]
    call_command("add_member", "--org", "zeeland", "--email", "b@zeeland.example",
                 "--name", "Bram Zeeland", "--role", "coordinator")
    with pytest.raises(CommandError, match="2 van de 2 zetels"):  # the interface is Dutch
        call_command("add_member", "--org", "zeeland", "--email", "c@zeeland.example",
                     "--name", "Cor Zeeland")
    assert Membership.objects.get(user__email="b@zeeland.example").role == "coordinator"
    call_command("add_member", "--org", "ncsc", "--email", "p@ncsc.example", "--name", "P")
    assert Membership.objects.get(user__email="p@ncsc.example").role == "partner"
    call_command("add_member", "--org", "veiligheidsberaad", "--email", "o@vb.example",
                 "--name", "O")
    assert Membership.objects.get(user__email="o@vb.example").role == "observer"


@pytest.mark.django_db
def test_organisations_command_json(capsys: Any) -> None:
    make_person("participant", "utrecht")
    call_command("organisations", "--json")
    rows = json.loads(capsys.readouterr().out)
    utrecht = next(r for r in rows if r["slug"] == "utrecht")
    assert (utrecht["kind"], utrecht["seats_taken"], utrecht["seat_limit"]) == ("region", 1, 2)


@pytest.mark.django_db
def test_remove_member_ends_sessions_and_tokens_and_frees_the_seat(capsys: Any) -> None:
    person = make_person("participant", "zeeland")
    web = client_for(person)
    api = api_client(person)
    assert web.get("/dashboard/").status_code == 200
    assert api.get("/api/v1/reports").status_code == 200
    call_command("remove_member", "--email", person.email)
    assert web.get("/dashboard/").status_code == 302  # session ended
    assert api.get("/api/v1/reports").status_code == 401  # token revoked
    assert ApiToken.objects.filter(user=person, revoked_at__isnull=True).count() == 0
    assert not User.objects.get(pk=person.pk).is_active
    make_person("participant", "zeeland")
    make_person("participant", "zeeland")


@pytest.mark.django_db
def test_remove_member_withdraws_an_invitation() -> None:
    invitation = membership_invite(organisation=organisation("zeeland"), email="i@z.example",
                                   name="I", send_email=False)
    call_command("remove_member", "--email", "i@z.example")
    invitation.membership.refresh_from_db()
    assert invitation.membership.status == "ended"
    with pytest.raises(CommandError):
        call_command("remove_member", "--email", "i@z.example")


@pytest.mark.django_db
def test_coordinator_invites_removes_and_hands_over_in_the_interface() -> None:
    coordinator = make_person("coordinator", "nipv")
    web = client_for(coordinator)
    page = web.get("/members/")
    assert page.status_code == 200
    response = web.post("/members/", {"organisation": organisation("twente").pk,
                                      "name": "Tineke Twente", "email": "t@twente.example",
                                      "role": ""})
    assert response.status_code == 302
    response = web.post("/members/", {"organisation": organisation("twente").pk,
                                      "name": "Tom Twente", "email": "tom@twente.example"})
    assert response.status_code == 302
    third = web.post("/members/", {"organisation": organisation("twente").pk,
                                   "name": "Teun", "email": "teun@twente.example"})
    assert third.status_code == 200 and "2 van de 2" in third.content.decode()
    tineke = Membership.objects.get(user__email="t@twente.example")
    response = web.post(f"/members/{tineke.pk}/hand-over/",
                        {"name": "Tessa Twente", "email": "tessa@twente.example"})
    assert response.status_code == 302
    tineke.refresh_from_db()
    assert tineke.status == "ended"
    assert Membership.objects.holding_seat().filter(user__email="tessa@twente.example").exists()
    tom = Membership.objects.get(user__email="tom@twente.example")
    assert web.post(f"/members/{tom.pk}/end/").status_code == 302
    tom.refresh_from_db()
    assert tom.status == "ended"


@pytest.mark.django_db
def test_hand_over_keeps_the_seat_even_when_full() -> None:
    first = make_person("participant", "groningen")
    make_person("participant", "groningen")
    membership = first.memberships.get(status="active")
    invitation = membership_hand_over(membership=membership, email="next@groningen.example",
                                      name="Next")
    assert invitation.membership.role == "participant"


@pytest.mark.django_db
def test_admin_keeps_the_seat_rule() -> None:
    admin = make_person("admin", "veiligheidsberaad")
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    admin_client = client_for(User.objects.get(pk=admin.pk))
    make_person("participant", "zeeland")
    make_person("participant", "zeeland")
    response = admin_client.post("/django-admin/organisations/membership/add/", {
        "organisation": organisation("zeeland").pk, "role": "participant",
        "email": "third@zeeland.example", "name": "Third"})
    assert response.status_code == 200
    assert "2 van de 2" in response.content.decode()
    assert not User.objects.filter(email="third@zeeland.example").exists()
    response = admin_client.post("/django-admin/organisations/membership/add/", {
        "organisation": organisation("twente").pk, "role": "participant",
        "email": "ok@twente.example", "name": "Ok"})
    assert response.status_code == 302
    assert Membership.objects.holding_seat().filter(user__email="ok@twente.example").exists()


@pytest.mark.django_db
def test_invitation_page_sets_a_strong_password_then_login_asks_for_mfa() -> None:
    invitation = membership_invite(organisation=organisation("twente"),
                                   email="new@twente.example", name="Nieuw", send_email=False)
    web = Client()
    url = f"/invite/{invitation.raw_token}/"
    assert web.get(url).status_code == 200
    weak = web.post(url, {"name": "Nieuw", "password": "password123",
                          "password2": "password123"})
    assert weak.status_code == 200
    assert not User.objects.get(email="new@twente.example").has_usable_password()
    short = web.post(url, {"name": "Nieuw", "password": "Sh0rt!x", "password2": "Sh0rt!x"})
    assert short.status_code == 200
    good = web.post(url, {"name": "Nieuw", "password": "Lange-Zin-Met-Cijfers-2026",
                          "password2": "Lange-Zin-Met-Cijfers-2026"})
    assert good.status_code == 302
    assert web.get(url).status_code == 404  # used
    user = User.objects.get(email="new@twente.example")
    login(web, user)
    # No authenticator app yet: everything redirects to the enrolment page.
    for path in ("/dashboard/", "/reports/", "/notifications/"):
        response = web.get(path)
        assert response.status_code == 302 and "/2fa/totp/activate/" in response["Location"]


@pytest.mark.django_db
def test_invitation_email_is_sent_with_the_link(mailoutbox: list[Any],
                                                django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = membership_invite(organisation=organisation("twente"),
                                       email="mail@twente.example", name="Mail")
    assert len(mailoutbox) == 1
    assert invitation.link in mailoutbox[0].body
    assert mailoutbox[0].to == ["mail@twente.example"]
    assert io  # keep the import for readers who extend these tests


@pytest.mark.django_db
def test_guessed_invitation_links_lock_the_address_out(settings: Any) -> None:
    settings.VRISAC_TOKEN_FAILURES_PER_ADDRESS = 3
    invitation = membership_invite(organisation=organisation("twente"),
                                   email="guess@twente.example", name="Guess", send_email=False)
    web = Client()
    link = invitation.link.split("://", 1)[1].split("/", 1)[1]
    right, prefix = f"/{link}", "/" + link.rsplit("/", 2)[0] + "/"
    assert web.get(right).status_code == 200
    for n in range(3):
        assert web.get(f"{prefix}wrong-guess-{n}/").status_code == 404
    # Past the limit even the right link is refused from this address, and so are API tokens.
    assert web.get(right).status_code == 404
    assert AuditEvent.objects.filter(action="token.lockout",
                                     details__channel="invitation").exists()
    reader = api_client(make_person("participant", "utrecht"))
    assert reader.get("/api/v1/reports").status_code == 429
    from django.core.cache import cache

    cache.clear()  # the window has passed
    assert web.get(right).status_code == 200
