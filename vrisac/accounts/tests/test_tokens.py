from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from vrisac.accounts.models import ApiToken
from vrisac.accounts.services import hash_token, token_create, token_revoke
from vrisac.core.errors import DomainError
from vrisac.core.models import AuditEvent
from vrisac.core.testing import client_for, make_person, organisation
from vrisac.organisations.services import invitation_accept, membership_invite

TOKEN_LINE = re.compile(r"^[A-Za-z0-9_.:-]+$")


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.django_db
def test_only_the_hash_is_stored_and_the_token_works() -> None:
    person = make_person("participant", "utrecht")
    token, raw = token_create(user=person)
    assert TOKEN_LINE.match(raw)
    assert token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert not ApiToken.objects.filter(token_hash=raw).exists()
    assert bearer(raw).get("/api/v1/reports").status_code == 200
    assert set(token.scopes) >= {"reports:read", "reports:write"}


@pytest.mark.django_db
def test_wrong_expired_and_revoked_tokens_are_refused() -> None:
    person = make_person("participant", "utrecht")
    assert bearer("vrs_not-a-token").get("/api/v1/reports").status_code == 401
    assert Client().get("/api/v1/reports").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Basic dXNlcjpwdw==").get(
        "/api/v1/reports").status_code == 401
    token, raw = token_create(user=person)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(raw).get("/api/v1/reports").status_code == 401
    token, raw = token_create(user=person)
    token_revoke(token=token)
    assert bearer(raw).get("/api/v1/reports").status_code == 401


@pytest.mark.django_db
def test_scopes_limit_what_a_token_may_do() -> None:
    person = make_person("participant", "utrecht")
    _token, raw = token_create(user=person, scopes=["reports:read"])
    client = bearer(raw)
    assert client.get("/api/v1/reports").status_code == 200
    response = client.post("/api/v1/reports", {"kind": "threat", "title": "x", "tlp": "TLP:AMBER",
                                               "audience": "participants"},
                           content_type="application/json")
    assert response.status_code == 403
    assert client.get("/api/v1/organisations").status_code == 403


@pytest.mark.django_db
def test_a_token_never_has_more_than_the_role_allows() -> None:
    observer = make_person("observer", "veiligheidsberaad")
    with pytest.raises(DomainError, match="does not allow"):
        token_create(user=observer, scopes=["reports:read"])
    token, _raw = token_create(user=observer)
    assert "reports:read" not in token.scopes
    with pytest.raises(DomainError, match="Unknown scope"):
        token_create(user=observer, scopes=["everything"])


@pytest.mark.django_db
def test_token_creation_and_use_are_audited_without_the_token() -> None:
    person = make_person("participant", "utrecht")
    _token, raw = token_create(user=person)
    bearer(raw).get("/api/v1/reports")
    bearer(raw).get("/api/v1/reports")
    assert AuditEvent.objects.filter(action="token.create").count() == 1
    assert AuditEvent.objects.filter(action="token.use").count() == 1  # once per interval
    for row in AuditEvent.objects.all():
        assert raw not in str(row.details) and raw[4:20] not in str(row.details)


@pytest.mark.django_db
def test_create_token_command_prints_the_token_alone_on_the_last_line(capsys: Any) -> None:
    person = make_person("participant", "utrecht")
    call_command("create_token", "--email", person.email, "--scopes", "reports:read",
                 "--expires", "30")
    raw = capsys.readouterr().out.rstrip("\n").splitlines()[-1]
    assert TOKEN_LINE.match(raw)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert token.scopes == ["reports:read"]
    assert token.expires_at is not None
    assert 29 <= (token.expires_at - timezone.now()).days <= 30
    with pytest.raises(CommandError):
        call_command("create_token", "--email", "nobody@nowhere.example")


@pytest.mark.django_db
def test_an_invited_account_gets_a_token_only_once_it_has_accepted(capsys: Any) -> None:
    invitation = membership_invite(organisation=organisation("twente"),
                                   email="invited@twente.example", name="Invited",
                                   send_email=False)
    assert not invitation.membership.user.has_usable_password()
    # A pending invitation grants nothing: no token, no reads.
    with pytest.raises(CommandError, match="no current membership"):
        call_command("create_token", "--email", "invited@twente.example")
    invitation_accept(raw_token=invitation.raw_token, password="Lange-Zin-Met-Cijfers-2026")
    call_command("create_token", "--email", "invited@twente.example")
    raw = capsys.readouterr().out.splitlines()[-1]
    assert bearer(raw).get("/api/v1/reports").status_code == 200
    # The web interface is still closed to them until they enrol MFA.
    assert Client().get("/dashboard/").status_code == 302


@pytest.mark.django_db
def test_tokens_page_creates_after_reauthentication_and_revokes() -> None:
    person = make_person("participant", "utrecht")
    web = client_for(person)
    response = web.post("/accounts/tokens/new/", {"name": "SIEM", "expires": 30})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    from vrisac.core.testing import PASSWORD

    web.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = web.post("/accounts/tokens/new/", {"name": "SIEM", "expires": 30,
                                                 "scopes": ["reports:read"]})
    assert response.status_code == 200
    raw = response.context["raw"]
    assert bearer(raw).get("/api/v1/reports").status_code == 200
    token = ApiToken.objects.get(user=person)
    assert web.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert bearer(raw).get("/api/v1/reports").status_code == 401
    other = make_person("participant", "haaglanden")
    other_token, _ = token_create(user=other)
    assert web.post(f"/accounts/tokens/{other_token.pk}/revoke/").status_code == 404


def test_vrisac_command_line_prints_a_usable_token(tmp_path: Path) -> None:
    """The installed `vrisac` program end to end, on a database of its own."""
    vrisac = Path(sys.executable).parent / "vrisac"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
           "VRISAC_ENV": "local", "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "VRISAC_DATA_DIR": str(tmp_path)}
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(vrisac), *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    assert run("migrate", "--verbosity", "0").returncode == 0
    assert run("createcachetable").returncode == 0
    added = run("add_member", "--org", "utrecht", "--email", "cli@utrecht.example",
                "--name", "Cli", "--no-email")
    assert added.returncode == 0, added.stderr
    pending = run("create_token", "--email", "cli@utrecht.example")
    assert pending.returncode != 0 and "no current membership" in pending.stderr
    raw_invitation = added.stdout.rstrip("/\n").rsplit("/", 1)[-1]
    accepted = run("shell", "-c", "from vrisac.organisations.services import invitation_accept; "
                   f"invitation_accept(raw_token={raw_invitation!r}, "
                   "password='Lange-Zin-Met-Cijfers-2026')")
    assert accepted.returncode == 0, accepted.stderr
    made = run("create_token", "--email", "cli@utrecht.example")
    assert made.returncode == 0, made.stderr
    assert TOKEN_LINE.match(made.stdout.rstrip("\n").splitlines()[-1])
    third = run("add_member", "--org", "utrecht", "--email", "c2@utrecht.example", "--name", "C2",
                "--no-email")
    assert third.returncode == 0
    refused = run("add_member", "--org", "utrecht", "--email", "c3@utrecht.example",
                  "--name", "C3", "--no-email")
    assert refused.returncode != 0 and "2 van de 2 zetels" in refused.stderr
    assert settings.BASE_DIR


@pytest.mark.django_db
def test_guessing_tokens_locks_the_address_out(settings: Any) -> None:
    settings.VRISAC_TOKEN_FAILURES_PER_ADDRESS = 5
    person = make_person("participant", "utrecht")
    _token, raw = token_create(user=person)
    for n in range(5):
        assert bearer(f"vrs_guess{n}").get("/api/v1/reports").status_code == 401
    blocked = bearer(raw).get("/api/v1/reports")  # even the right token, from this address
    assert blocked.status_code == 429
    assert AuditEvent.objects.filter(action="token.lockout").count() == 1
    other_address = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR="192.0.2.7")
    assert other_address.get("/api/v1/reports").status_code == 200


@pytest.mark.django_db
def test_a_locked_out_address_gets_429_on_every_token_face(settings: Any) -> None:
    """The lockout is one (``token_authenticate`` refuses with ``TokensBlocked``); the REST
    API, TAXII (Bearer, Basic, and no credentials at all) and the MISP API each answer 429,
    even to the right token, and the same token works from another address."""
    import base64

    settings.VRISAC_TOKEN_FAILURES_PER_ADDRESS = 3
    person = make_person("participant", "utrecht")
    _token, raw = token_create(user=person)
    taxii = {"Accept": "application/taxii+json;version=2.1"}
    basic = base64.b64encode(f"{person.email}:{raw}".encode()).decode()
    right = {
        "api": lambda c: c.get("/api/v1/reports", HTTP_AUTHORIZATION=f"Bearer {raw}"),
        "taxii bearer": lambda c: c.get("/taxii2/api/", HTTP_AUTHORIZATION=f"Bearer {raw}",
                                        headers=taxii),
        "taxii basic": lambda c: c.get("/taxii2/api/", HTTP_AUTHORIZATION=f"Basic {basic}",
                                       headers=taxii),
        "misp": lambda c: c.get("/misp/servers/getVersion", HTTP_AUTHORIZATION=raw),
    }
    here, elsewhere = Client(), Client(REMOTE_ADDR="192.0.2.7")
    for face, ask in right.items():
        assert ask(here).status_code == 200, face
    for n in range(3):
        assert bearer(f"vrs_guess{n}").get("/api/v1/reports").status_code == 401
    for face, ask in right.items():
        assert ask(here).status_code == 429, face
        assert ask(elsewhere).status_code == 200, face
    assert here.get("/taxii2/api/", headers=taxii).status_code == 429
    assert Client(REMOTE_ADDR="192.0.2.7").get("/taxii2/api/", headers=taxii).status_code == 401
