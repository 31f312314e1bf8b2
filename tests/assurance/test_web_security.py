"""Web security held to the pages as they are served (OWASP ASVS 5.0 level 2; see
docs/security.md for the requirement each test stands for).

A crawler follows every link of the members' area (as a coordinator and as a participant)
and of the public site (anonymous), and every route of the URLconf without parameters. On
every response: the security headers. On every HTML page: no inline script or event
handler, a CSRF token in every POST form; and every such form refuses a post without it.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from vrisac.core.testing import api_client, client_for, make_report

MAX_PAGES = 250
#: Links the crawler does not follow: they end the session or change state by GET.
SKIP = re.compile(r"^/(accounts/logout/|i18n/|django-admin/logout/|static/|media/|favicon)")
#: One page per shape: ``/reports/12/`` and ``/reports/13/`` are the same template.
SHAPE = re.compile(r"\d+|[0-9a-f]{8}-[0-9a-f-]{27}")


class _Page(HTMLParser):
    """Links, forms (method, action, fields) and script and event-handler findings."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self.inline: list[str] = []
        self._script_open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on"):
                self.inline.append(f"<{tag} {name}=...>")
        if tag == "script" and not named.get("src") and named.get("type") not in (
                "application/json", "application/ld+json"):
            self.inline.append("<script> without src")
        if tag == "a" and named.get("href"):
            self.links.append(named["href"] or "")
        if tag == "form":
            self.forms.append({"method": (named.get("method") or "get").lower(),
                               "action": named.get("action") or "", "fields": set()})
        if tag in ("input", "button", "textarea", "select") and self.forms and named.get("name"):
            self.forms[-1]["fields"].add(named["name"])
        if named.get("href", "") and str(named.get("href")).lower().startswith("javascript:"):
            self.inline.append("javascript: link")


def check_headers(url: str, response: Any) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if not csp:
        problems.append(f"{url}: no Content-Security-Policy")
    else:
        script = re.search(r"script-src ([^;]*)", csp) or re.search(r"default-src ([^;]*)", csp)
        if script is None or "'unsafe-inline'" in script.group(1) \
                or "'unsafe-eval'" in script.group(1):
            problems.append(f"{url}: CSP allows inline or eval scripts: {csp}")
        if "frame-ancestors 'none'" not in csp:
            problems.append(f"{url}: CSP without frame-ancestors 'none'")
        if "object-src 'none'" not in csp and "default-src 'none'" not in csp:
            problems.append(f"{url}: CSP without object-src 'none'")
    expected = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin"}
    for header, value in expected.items():
        if response.get(header) != value:
            problems.append(f"{url}: {header} is {response.get(header)!r}")
    return problems


def crawl(client: Client, starts: list[str]) -> tuple[dict[str, Any], list[str],
                                                       list[tuple[str, dict[str, Any]]]]:
    """Every page reachable from ``starts``: the responses, the problems, the POST forms."""
    seen: dict[str, Any] = {}
    shapes: set[str] = set()
    problems: list[str] = []
    forms: list[tuple[str, dict[str, Any]]] = []
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        shape = SHAPE.sub("N", url.split("?")[0])
        if url in seen or shape in shapes:
            continue
        shapes.add(shape)
        response = client.get(url)
        seen[url] = response
        problems += check_headers(url, response)
        if "text/html" not in response.get("Content-Type", "") or response.status_code != 200:
            location = response.get("Location", "")
            if response.status_code in (301, 302) and location.startswith("/") \
                    and not SKIP.match(location):
                queue.append(location)
            continue
        page = _Page()
        page.feed(response.content.decode("utf-8", "replace"))
        problems += [f"{url}: {finding}" for finding in page.inline]
        for form in page.forms:
            if form["method"] == "post":
                if "csrfmiddlewaretoken" not in form["fields"]:
                    problems.append(f"{url}: POST form to {form['action']!r} without CSRF token")
                forms.append((url, form))
        for href in page.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local and not SKIP.match(local) and local not in seen:
                queue.append(local)
    return seen, problems, forms


def parameterless_routes() -> list[str]:
    def walk(patterns: list[Any], prefix: str = "") -> list[str]:
        out: list[str] = []
        for p in patterns:
            if isinstance(p, URLResolver):
                out += walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if "<" not in route and "(" not in route and "^" not in route:
                    out.append("/" + route)
        return out

    return sorted(set(walk(get_resolver().url_patterns)))


@pytest.fixture
def content(people: dict[str, Any]) -> dict[str, Any]:
    """A little of everything, so the crawler finds detail pages and their forms."""
    report = make_report(people["utrecht"], kind="incident", title="Phishing bij de meldkamer",
                         indicators=[{"type": "domain", "value": "evil.example.net"}])
    from vrisac.reports.services import comment_create

    comment_create(report=report, author=people["haaglanden"], body="Ook gezien")
    make_report(people["coordinator"], kind="warning", title="Waarschuwing", audience="partners",
                tlp="TLP:GREEN")
    return {"report": report}


@pytest.mark.django_db
def test_every_members_page_is_protected_and_every_form_needs_its_token(
        people: dict[str, Any], content: dict[str, Any]) -> None:
    """ASVS V3.4 (headers), V3.2/V50 (no inline script: CSP holds), V3.5 (CSRF on every
    form, and a post without the token is refused), for everything a coordinator reaches by
    following links (a coordinator's pages are a superset of a participant's)."""
    seen, problems, forms = crawl(client_for(people["coordinator"]),
                                  ["/dashboard/", *parameterless_routes()])
    assert len(seen) > 60  # the crawl reached the members' area, not just a login page
    assert problems == []
    targets = {urlsplit(urljoin(url, form["action"] or url)).path for url, form in forms}
    assert len(targets) > 20, "too few POST forms: the crawler did not reach the members' area"
    forger = client_for(people["coordinator"])
    forger.handler.enforce_csrf_checks = True
    accepted = [t for t in sorted(targets) if forger.post(t, {"x": "1"}).status_code != 403]
    assert accepted == []


@pytest.mark.django_db
def test_every_public_page_is_protected() -> None:
    seen, problems, _forms = crawl(Client(), ["/", "/en/", *parameterless_routes()])
    assert len(seen) > 20
    assert problems == []


@pytest.mark.django_db
def test_the_api_takes_tokens_only_never_the_session_cookie(people: dict[str, Any]) -> None:
    """A cookie-authenticated request to the API is refused, so the API needs no CSRF token."""
    assert client_for(people["utrecht"]).get("/api/v1/reports").status_code == 401
    assert api_client(people["utrecht"]).get("/api/v1/reports").status_code == 200


@pytest.mark.django_db
def test_hsts_on_https(settings: Any) -> None:
    """ASVS V12.1 (HSTS), with the production values."""
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == \
        "max-age=63072000; includeSubDomains; preload"


@pytest.mark.django_db
def test_production_cookies_are_host_only_secure_httponly_samesite(
        settings: Any, people: dict[str, Any]) -> None:
    """ASVS V3.3: the cookies a login sets, with the production cookie settings (their
    values in config/settings/production.py: tests/test_settings.py)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_NAME = "__Host-vrisac_session"
    settings.CSRF_COOKIE_NAME = "__Host-vrisac_csrftoken"
    client = client_for(people["utrecht"])
    response = client.get("/dashboard/", secure=True)
    cookies = {**client.cookies}
    session = cookies["__Host-vrisac_session"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert session["path"] == "/" and not session["domain"]
    csrf_page = client.get("/reports/new/", secure=True)
    assert csrf_page.status_code == 200
    csrf = client.cookies["__Host-vrisac_csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    assert csrf["path"] == "/" and not csrf["domain"]
    assert response.status_code == 200


@pytest.mark.parametrize("password", ["password1234", "123456789012", "Welkom01", "vrisac"])
def test_weak_and_common_passwords_are_refused(password: str) -> None:
    """ASVS V6.2: at least 12 characters, not a common password, not all digits."""
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", [
    "Vier-Paarden-Op-De-Dijk-2026",
    "de kraanvogels trekken in oktober over de Veluwe naar het zuiden, ruim boven 64 tekens",
    "éénhoorn ✓ ijsvogel 🐦 wintertaling",
])
def test_a_long_uncommon_password_is_accepted(password: str) -> None:
    """ASVS V6.2.5/V6.2.9: any characters, and long pass phrases (over 64 characters)."""
    validate_password(password)


@pytest.mark.django_db
def test_a_token_never_reaches_the_logs(people: dict[str, Any], caplog: Any) -> None:
    """ASVS V7.1/V14: the bearer token is in no log record, on success, refusal or error."""
    from vrisac.accounts.services import token_create

    _token, raw = token_create(user=people["utrecht"], scopes=None)
    caplog.set_level(logging.DEBUG)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/v1/reports")
    client.get("/api/v1/reports/999999")
    Client(HTTP_AUTHORIZATION=f"Bearer {raw}x").get("/api/v1/reports")
    client.get(f"/api/v1/reports?token={raw}")
    records = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert records  # the requests were logged
    assert raw not in records
    assert raw[8:] not in records


@pytest.mark.django_db
def test_attachments_are_encrypted_at_rest(settings: Any, people: dict[str, Any]) -> None:
    """ASVS V14.2: an attachment's bytes on disk are not its content."""
    import io

    from vrisac.reports.services import attachment_add

    report = make_report(people["utrecht"])
    secret = b"vertrouwelijk-ioc-lijst 203.0.113.77\n" * 20
    attachment_add(report=report, uploaded_by=people["utrecht"], stream=io.BytesIO(secret),
                   filename="iocs.txt")
    stored = [p for p in settings.ATTACHMENT_ROOT.rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        data = path.read_bytes()
        assert b"vertrouwelijk" not in data and b"203.0.113.77" not in data
    page = client_for(people["haaglanden"]).get(
        f"/reports/attachments/{report.attachments.get().uuid}/")
    assert b"".join(page.streaming_content) == secret  # type: ignore[attr-defined]
