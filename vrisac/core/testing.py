"""Test helpers shared by every app: people in roles, reports, logged-in clients.

Factories write through the services wherever a service exists, so that tests exercise the
same rules as the product.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from vrisac.accounts.adapters import SESSION_AUTH_AT
from vrisac.accounts.models import User
from vrisac.accounts.services import token_create
from vrisac.organisations.models import Membership, Organisation
from vrisac.organisations.services import invitation_accept, membership_invite
from vrisac.sharing.policy import forget_viewer

PASSWORD = "Correct-Horse-Battery-42"  # noqa: S105  (test accounts only)
_counter = itertools.count(1)

#: The organisation a role lands in when the test does not say.
DEFAULT_ORG_FOR_ROLE = {
    "participant": "utrecht",
    "coordinator": "nipv",
    "partner": "ncsc",
    "observer": "veiligheidsberaad",
    "admin": "veiligheidsberaad",
}


def organisation(slug: str) -> Organisation:
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        # A transactional test before this one flushed the tables, data migrations included.
        from vrisac.organisations.data import load_organisations

        load_organisations(Organisation)
        found = Organisation.objects.get(slug=slug)
    return found


def make_person(
    role: str = "participant",
    org: str | None = None,
    *,
    name: str | None = None,
    email: str | None = None,
    totp: bool = True,
    active: bool = True,
) -> User:
    """A person with an accepted invitation (an active seat) in ``org``, with TOTP enrolled.

    Regions and NIPV have two seats: tests that need more people per organisation spread
    them over several organisations.
    """
    n = next(_counter)
    slug = org or DEFAULT_ORG_FOR_ROLE[role]
    email = email or f"person{n}.{role}@{slug}.test.example"
    invitation = membership_invite(organisation=organisation(slug), email=email,
                                   name=name or f"Person {n} ({role}, {slug})", role=role,
                                   send_email=False)
    user = invitation.membership.user
    if active:
        user = invitation_accept(raw_token=invitation.raw_token, password=PASSWORD)
    if totp:
        TOTP.activate(user, generate_totp_secret())
    forget_viewer(user)
    return user


def end_all_memberships(slug: str) -> None:
    Membership.objects.filter(organisation__slug=slug).update(status=Membership.Status.ENDED)


def login(client: Client, user: User) -> Client:
    """Log in as after password and second factor (session marks included)."""
    client.force_login(user)
    session = client.session
    session[SESSION_AUTH_AT] = int(time.time())
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        session["vrisac_mfa_enrolled"] = True
    session.save()
    return client


def client_for(user: User) -> Client:
    return login(Client(), user)


def browser_sign_in(context: Any, base_url: str, user: User) -> None:
    """Give a Playwright browser context ``user``'s session at ``base_url``, logged in with
    password and code through Django's test client, as if they had logged in in it."""
    from django.conf import settings

    cookie = client_for(user).cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value,
                          "url": base_url}])


def api_client(user: User, scopes: list[str] | None = None) -> Client:
    """A client that sends ``Authorization: Bearer <token>`` for ``user``."""
    _token, raw = token_create(user=user, scopes=scopes)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def make_report(author: User, **fields: Any) -> Any:
    from vrisac.reports.services import report_create

    defaults: dict[str, Any] = {
        "kind": "threat",
        "title": f"Report {next(_counter)}",
        "summary": "summary",
        "body": "body",
        "tlp": "TLP:AMBER",
        "audience": "participants",
        "publish": True,
    }
    defaults.update(fields)
    return report_create(author=author, **defaults)


#: The data migrations' loaders (each idempotent): module and function.
DATA_MIGRATIONS = (
    ("vrisac.core.migrations.0002_audit_chain_head", "create_head"),
    ("vrisac.organisations.migrations.0002_organisations", None),
    ("vrisac.intel.migrations.0002_search_and_warninglists", "shipped_lists"),
    ("vrisac.resilience.migrations.0002_measures", "load"),
    ("vrisac.knowledge.migrations.0003_public_content", "load"),
)


def restore_data_migrations() -> None:
    """Put back the rows the data migrations made, after a transactional test before this
    one flushed the tables (the loaders are idempotent)."""
    from importlib import import_module

    from django.apps import apps

    from vrisac.organisations.data import load_organisations

    for module, function in DATA_MIGRATIONS:
        if function is None:
            load_organisations(Organisation)
            continue
        getattr(import_module(module), function)(apps, None)


class LoopbackServer:
    """A real HTTP server on loopback for tests of outbound fetches. ``respond(path, headers)``
    gives the answer to a GET: status, response headers and body. With ``tls`` (a server
    context) it speaks https."""

    def __init__(self, respond: Any, *, tls: Any = None) -> None:
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers, body = respond(self.path, dict(self.headers))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls is not None else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
