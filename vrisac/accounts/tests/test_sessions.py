"""Ending sessions: a person logs out everywhere else, a change of the second factor ends the
other sessions, administrators (and the operator's command) end all of a person's sessions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from vrisac.accounts.models import User
from vrisac.accounts.services import sessions_end
from vrisac.core.errors import DomainError
from vrisac.core.models import AuditEvent
from vrisac.core.testing import PASSWORD, client_for, make_person


def _in(web: Client) -> bool:
    return web.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_log_out_everywhere_else_keeps_this_session_only() -> None:
    person = make_person("participant", "utrecht")
    laptop, phone = client_for(person), client_for(person)
    colleague = client_for(make_person("participant", "utrecht"))
    assert _in(laptop) and _in(phone) and _in(colleague)

    answer = laptop.post("/accounts/sessions/end-others/")
    assert answer.status_code == 302
    assert _in(laptop)
    assert not _in(phone)
    assert _in(colleague)
    assert AuditEvent.objects.filter(action="sessions.end_others", actor_id=person.pk).exists()
    # A GET changes nothing.
    assert laptop.get("/accounts/sessions/end-others/").status_code == 405


@pytest.mark.django_db(transaction=True)  # allauth announces the change on commit
def test_changing_the_second_factor_ends_the_other_sessions() -> None:
    person = make_person("participant", "utrecht")
    laptop, phone = client_for(person), client_for(person)
    assert _in(laptop) and _in(phone)
    # New recovery codes, through allauth's own page (a factor change, audited as mfa.*),
    # after giving the password again as the page asks.
    page = laptop.get("/accounts/2fa/recovery-codes/generate/")
    assert page.status_code == 302 and "reauthenticate" in page["Location"]
    again = laptop.post(page["Location"], {"password": PASSWORD})
    assert again.status_code == 302, again.content[:300]
    assert laptop.get("/accounts/2fa/recovery-codes/generate/").status_code == 200
    done = laptop.post("/accounts/2fa/recovery-codes/generate/")
    assert done.status_code == 302
    assert AuditEvent.objects.filter(action__startswith="mfa.", actor_id=person.pk).exists()
    assert _in(laptop)
    assert not _in(phone)


@pytest.mark.django_db
def test_administrators_and_the_operator_end_a_persons_sessions(capsys: Any) -> None:
    person = make_person("participant", "utrecht")
    admin = make_person("admin", "veiligheidsberaad")
    coordinator = make_person("coordinator", "nipv")
    web = client_for(person)
    assert _in(web)

    with pytest.raises(DomainError):
        sessions_end(user=person, acting_user=coordinator)
    assert _in(web)

    sessions_end(user=person, acting_user=admin, reason="lost laptop")
    assert not _in(web)
    row = AuditEvent.objects.get(action="sessions.end", actor_id=admin.pk)
    assert row.details["user"] == person.pk and row.details["reason"] == "lost laptop"

    again = client_for(person)
    assert _in(again)
    call_command("end_sessions", person.email.upper(), "--reason", "suspected takeover")
    assert "has ended" in capsys.readouterr().out
    assert not _in(again)
    with pytest.raises(CommandError, match="no person"):
        call_command("end_sessions", "nobody@nowhere.example")


@pytest.mark.django_db
def test_the_django_admin_action_ends_the_selected_peoples_sessions(
    rf: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = make_person("participant", "utrecht")
    web = client_for(person)
    superuser = User.objects.create_superuser(email="root@vrisac.test.example",
                                              password="A-Long-Root-Pass-2026")
    request = rf.post("/django-admin/accounts/user/")
    request.user = superuser
    model_admin: Any = admin_site._registry[User]
    monkeypatch.setattr(model_admin, "message_user", lambda *args, **kwargs: None)
    model_admin.end_sessions(request, User.objects.filter(pk=person.pk))
    assert not _in(web)
