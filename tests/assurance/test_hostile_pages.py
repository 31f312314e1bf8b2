"""Stored XSS: in the hostile world (tests/assurance/hostile_world.py), every page of the URLconf,
as every role and as a visitor, answers without a server error and with no payload alive;
in real Chromium, no payload's script runs on the richest pages.

A page added to the URLconf is visited by the crawl without anyone listing it; a page with
parameters the crawl cannot fill fails the test until ``ARGUMENTS`` says how."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tests.assurance.hostile_world import poison, routes, url_of
from tests.assurance.inert import MARKER, evaluated, live_injections, payload
from tests.assurance.profiles import LONG
from vrisac.accounts.models import User
from vrisac.core.testing import browser_sign_in, login

DEMO_PEOPLE = {
    "participant": "pieter.jansen@utrecht.vrisac.example",
    "coordinator": "sanne.devries@nipv.vrisac.example",
    "partner": "lotte.smit@ncsc.vrisac.example",
    "observer": "hans.mulder@veiligheidsberaad.vrisac.example",
    "admin": "kees.vandijk@veiligheidsberaad.vrisac.example",
}


def build_hostile_world() -> dict[str, int]:
    """The demo platform, poisoned: {model: number of text fields filled with payloads}."""
    import io

    from vrisac.accounts.services import token_create
    from vrisac.advisories.services import alias_add
    from vrisac.core.testing import restore_data_migrations
    from vrisac.intel.services import exclusion_add
    from vrisac.interop.taxii_client.services import remote_save
    from vrisac.reports.models import Report
    from vrisac.reports.services import attachment_add, comment_create

    restore_data_migrations()  # a transactional test before may have flushed their rows
    call_command("demo", "--quiet")
    participant = User.objects.get(email=DEMO_PEOPLE["participant"])
    coordinator = User.objects.get(email=DEMO_PEOPLE["coordinator"])
    # What the demo leaves out, added through the services with payloads where they take text.
    token_create(user=participant, scopes=None)
    exclusion_add(acting_user=coordinator, value="203.0.113.99", comment=payload("exclusion"))
    alias_add(kind="vendor", alias="xsz9 <b>vendor</b>", canonical="microsoft",
              acting_user=coordinator)
    report = Report.objects.filter(author=participant).order_by("pk").first()
    assert report is not None
    attachment_add(report=report, uploaded_by=participant, stream=io.BytesIO(b"iocs"),
                   filename=payload("filename", 120) + ".txt")
    comment_create(report=report, author=participant, body=payload("comment"))
    remote_save(acting_user=coordinator, name="partner-isac", title=payload("remote", 180),
                url="https://taxii.partner.example/taxii2/", import_as=coordinator)
    return poison()


@pytest.fixture
def hostile_world(db: Any) -> dict[str, int]:
    return build_hostile_world()


def _visit(client: Client, url: str) -> tuple[int, str, str]:
    response = client.get(url)
    kind = response.get("Content-Type", "")
    body = b"" if getattr(response, "streaming", False) else response.content
    return response.status_code, kind, body.decode("utf-8", errors="replace")


def test_every_page_as_every_role_is_inert(hostile_world: dict[str, int]) -> None:
    assert len(hostile_world) > 25, "the hostile world poisoned too few models"
    pages = [(r, url_of(r)) for r in routes()]
    unfilled = [r.name or r.route for r, url in pages if url is None]
    assert unfilled == [], f"pages whose parameters the crawl cannot fill: {unfilled}"
    urls = sorted({url for _r, url in pages if url})
    assert len(urls) > 150
    problems: list[str] = []
    seen_payload = 0
    clients = {"visitor": Client()}
    for role, email in DEMO_PEOPLE.items():
        if not LONG and role != "coordinator":
            continue  # every role in `make assurance`; the one who sees most in every run
        clients[role] = login(Client(), User.objects.get(email=email))
    for role, client in clients.items():
        for url in urls:
            status, kind, html = _visit(client, url)
            if status >= 500 and not (url == "/readyz" and status == 503):  # no worker here
                problems.append(f"{role} {url}: HTTP {status}")
                continue
            if "html" not in kind and "svg" not in kind:
                continue
            seen_payload += MARKER in html
            for finding in live_injections(html):
                problems.append(f"{role} {url}: {finding}")
            if evaluated(html):
                problems.append(f"{role} {url}: template syntax from a payload evaluated")
    distinct: dict[str, list[str]] = {}
    for problem in problems:
        where, _sep, what = problem.partition(": ")
        distinct.setdefault(what, []).append(where)
    assert problems == [], "\n".join(f"{what}  ({len(at)}x, e.g. {at[0]})"
                                      for what, at in list(distinct.items())[:60])
    # The payloads did reach the pages (else this test would prove nothing).
    assert seen_payload > 100


#: The pages with the most stored text on them, opened in Chromium.
RICHEST = ["/dashboard/", "/reports/", "/reports/{report}/", "/intel/",
           "/intel/indicators/{indicator}/",
           "/advisories/", "/inventory/", "/warnings/", "/resilience/incidents/",
           "/resilience/questions/", "/resilience/meetings/", "/knowledge/", "/members/",
           "/knowledge/contact/", "/notifications/", "/"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_payload_script_runs_in_chromium(page: Any, screenshot_dir: Any) -> None:
    from vrisac.intel.models import Indicator
    from vrisac.reports.models import Report

    build_hostile_world()
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    coordinator = User.objects.get(email=DEMO_PEOPLE["coordinator"])
    browser_sign_in(page.context, page.base_url, coordinator)
    ids = {"report": Report.objects.order_by("pk").values_list("pk", flat=True).first(),
           "indicator": Indicator.objects.order_by("pk").values_list("pk", flat=True).first()}
    alive: list[str] = []
    for path in RICHEST:
        page.goto(page.base_url + path.format(**ids))
        page.wait_for_load_state("networkidle")
        # Hovering and focusing everything gives attribute-breaking handlers their chance.
        for element in page.get_by_text(MARKER).all()[:12]:
            try:
                element.hover(timeout=500)
            except Exception:  # noqa: S112 - hidden or detached elements are passed over
                continue
        count = page.locator(f"[id^={MARKER}]").count()
        if count:
            alive.append(f"{path}: {count} element(s) from a payload in the live DOM")
    page.goto(page.base_url + f"/reports/{ids['report']}/")
    page.screenshot(path=str(screenshot_dir / "hostile-world-report.png"), full_page=False)
    # The payloads are on the page as text (else nothing was tried).
    assert MARKER in page.content()
    assert dialogs == [] and alive == [], dialogs + alive
