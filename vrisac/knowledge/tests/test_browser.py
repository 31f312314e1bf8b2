"""A visitor in headless Chromium, at phone and desktop size: reads every public page, sends
a question, loads a video only after consenting, and meets no serious accessibility
problem (axe-core)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from vrisac.knowledge.models import ContactMessage

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
PAGES = [
    ("/", "Digitale weerbaarheid"),
    ("/vr-isac/", "VR-ISAC"),
    ("/ncsc/", "Nationaal Cyber Security Centrum"),
    ("/nis2/", "NIS2"),
    ("/cvd/", "Centrum voor Veiligheid en Digitalisering"),
    ("/digitale-ontwrichting/", "Digitale ontwrichting"),
    ("/podcasts/", "Podcasts"),
    ("/video/", "Video"),
    ("/privacy/", "Privacy"),
    ("/contact/", "Heeft u een vraag over dit onderwerp?"),
    ("/en/", "Digital resilience"),
    ("/en/contact/", "Do you have a question about this subject?"),
]


@pytest.fixture(params=list(SIZES))
def visitor(request: Any, browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser tab at phone or desktop size; JavaScript errors are collected."""
    size = request.param
    context = browser.new_context(locale="nl-NL", viewport=SIZES[size],
                                  is_mobile=size == "phone", has_touch=size == "phone")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.size = size
    page.base = live_server.url
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield page
    finally:
        context.close()


def shot(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"knowledge-{name}-{page.size}.png"), full_page=True)


def open_menu_if_folded(page: Any) -> None:
    toggle = page.locator(".nav-toggle")
    if toggle.is_visible():
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"


def test_a_visitor_reads_every_page_and_sends_a_question(
        visitor: Any, screenshot_dir: Path, people: Any) -> None:
    page = visitor
    page.goto(page.base + "/")
    assert page.locator("h1").inner_text() == "Digitale weerbaarheid"
    shot(page, screenshot_dir, "home")
    # the menu: folded behind a button on a phone, opened with the keyboard
    toggle = page.locator(".nav-toggle")
    assert toggle.is_visible() == (page.size == "phone")
    for path, heading in PAGES[1:8]:
        open_menu_if_folded(page)
        page.locator(f'#public-menu a[href="{path}"]').click()
        page.wait_for_url(page.base + path)
        assert page.locator("h1").inner_text() == heading
        assert page.locator(f'#public-menu a[href="{path}"]').get_attribute(
            "aria-current") == "page"
        shot(page, screenshot_dir, path.strip("/"))
    # the privacy statement is in the footer
    page.locator(".footer-links").get_by_role("link", name="Privacy").click()
    page.wait_for_url(page.base + "/privacy/")
    assert page.locator("h1").inner_text() == "Privacy"
    shot(page, screenshot_dir, "privacy")
    # the English version is one click away
    page.get_by_role("link", name="English").click()
    page.wait_for_url(page.base + "/en/privacy/")
    assert page.locator("h1").inner_text() == "Privacy"
    assert page.locator("html").get_attribute("lang") == "en"
    # and the question
    page.goto(page.base + "/contact/")
    assert page.get_by_text("Velden gemarkeerd met * zijn verplicht").is_visible()
    assert not page.locator("#id_validatie").is_visible()
    page.get_by_role("textbox", name="Naam", exact=True).fill("Anne de Jong")
    page.get_by_role("textbox", name="E-mailadres", exact=True).fill("anne@gemeente.example")
    page.get_by_role("textbox", name="Organisatie", exact=True).fill("Gemeente Voorbeeld")
    page.get_by_role("textbox", name="Onderwerp", exact=True).fill(f"Vraag vanaf {page.size}")
    page.get_by_role("textbox", name="Vraag", exact=True).fill("Kunnen gemeenten ook deelnemen?")
    shot(page, screenshot_dir, "contact-filled")
    page.wait_for_timeout(3200)  # a person needs at least three seconds
    page.get_by_role("button", name="Vraag versturen").click()
    page.wait_for_url(page.base + "/contact/verzonden/")
    assert page.locator("h1").inner_text() == "Bedankt voor uw vraag"
    shot(page, screenshot_dir, "contact-sent")
    message = ContactMessage.objects.get()
    assert message.subject == f"Vraag vanaf {page.size}"
    assert page.errors == []


def test_the_form_shows_its_errors_and_keeps_what_was_typed(
        visitor: Any, screenshot_dir: Path) -> None:
    page = visitor
    page.goto(page.base + "/contact/")
    page.get_by_role("textbox", name="Naam", exact=True).fill("Anne")
    page.wait_for_timeout(3200)
    page.get_by_role("button", name="Vraag versturen").click()
    assert page.locator("#id_email_error").inner_text() == "Dit veld is verplicht."
    assert page.locator("#id_email").get_attribute("aria-invalid") == "true"
    assert page.get_by_role("textbox", name="Naam", exact=True).input_value() == "Anne"
    shot(page, screenshot_dir, "contact-errors")
    assert not ContactMessage.objects.exists()


def test_a_video_player_loads_nothing_from_elsewhere_before_the_visitor_agrees(
        visitor: Any, screenshot_dir: Path, people: Any) -> None:
    from vrisac.knowledge import services

    services.media_item_save(
        acting_user=people["coordinator"], kind="video", title_nl="Oefening cyberincident",
        title_en="Cyber incident exercise", description_nl="Een oefening van een regio.",
        url="https://www.youtube.com/watch?v=abcdefghijk", embed=True, duration_seconds=754)
    page = visitor
    own = urlparse(page.base).netloc
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.fulfill(
        status=200, content_type="text/html",
        body="<!doctype html><title>speler</title><p>speler</p>"))
    page.goto(page.base + "/video/")
    page.wait_for_load_state("networkidle")
    button = page.get_by_role("button", name="Speler van YouTube laden")
    assert button.is_visible()
    assert page.locator("iframe").count() == 0
    assert {urlparse(u).netloc for u in requested} == {own}, requested
    shot(page, screenshot_dir, "video-before-consent")
    # the keyboard is enough
    button.focus()
    page.keyboard.press("Enter")
    frame = page.locator("iframe.embed-frame")
    frame.wait_for()
    assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/abcdefghijk"
    assert frame.get_attribute("title") == "Oefening cyberincident"
    page.wait_for_timeout(500)
    outside = {urlparse(u).netloc for u in requested} - {own}
    assert outside == {"www.youtube-nocookie.com"}
    shot(page, screenshot_dir, "video-after-consent")
    assert page.errors == []


@pytest.fixture(params=list(SIZES))
def audited(request: Any, browser: Any, live_server: Any) -> Iterator[Any]:
    """A tab that may inject axe-core (the test's own script, not the page's)."""
    context = browser.new_context(locale="nl-NL", viewport=SIZES[request.param],
                                  bypass_csp=True)
    page = context.new_page()
    page.size = request.param
    page.base = live_server.url
    try:
        yield page
    finally:
        context.close()


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']} -> "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in violations if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_problem_on_any_public_page(audited: Any) -> None:
    page = audited
    problems: dict[str, list[str]] = {}
    for path, _heading in [*PAGES, ("/contact/verzonden/", "")]:
        page.goto(page.base + path)
        found = serious_violations(page)
        if found:
            problems[path] = found
    # the contact form as it shows its errors
    page.goto(page.base + "/contact/")
    page.get_by_role("button", name="Vraag versturen").click()
    page.wait_for_load_state()
    found = serious_violations(page)
    if found:
        problems["/contact/ (with errors)"] = found
    assert problems == {}, problems


def test_headings_go_down_one_level_at_a_time(audited: Any) -> None:
    page = audited
    for path, _heading in PAGES:
        page.goto(page.base + path)
        levels = page.evaluate(
            "() => [...document.querySelectorAll('main h1, main h2, main h3, main h4')]"
            ".map(h => Number(h.tagName[1]))")
        assert levels[0] == 1 and levels.count(1) == 1, (path, levels)
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (path, levels)


def test_the_skip_link_and_the_focus_ring(visitor: Any) -> None:
    page = visitor
    page.goto(page.base + "/nis2/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def _signed_in(browser: Any, live_server: Any, user: Any, size: str = "desktop") -> Any:
    from vrisac.core.testing import browser_sign_in

    context = browser.new_context(locale="nl-NL", viewport=SIZES[size])
    browser_sign_in(context, live_server.url, user)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    return page


def test_a_coordinator_edits_a_page_with_a_preview_and_answers_a_question(
        browser: Any, live_server: Any, people: Any, screenshot_dir: Path,
        smtp_server: Any) -> None:
    from django.utils import timezone

    now = timezone.now()
    message = ContactMessage.objects.create(
        name="Anne de Jong", email="anne@gemeente.example", organisation="Gemeente Voorbeeld",
        subject="Deelname van gemeenten", question="Kunnen gemeenten ook deelnemen?",
        received_at=now, updated_at=now)
    page = _signed_in(browser, live_server, people["coordinator"])
    page.size = "desktop"
    try:
        page.goto(live_server.url + "/knowledge/")
        page.get_by_role("link", name="Openbare pagina's").click()
        page.wait_for_url(live_server.url + "/knowledge/pages/")
        shot(page, screenshot_dir, "coordinator-pages")
        page.goto(live_server.url + "/knowledge/pages/nis2/")
        body = page.locator("#id_body_nl")
        body.fill(body.input_value() + "\n\n## Nieuw\n\nDe **Cyberbeveiligingswet** is er.")
        page.locator("fieldset[lang=nl]").get_by_role("button", name="Voorbeeld").click()
        page.locator("#preview-nl h2", has_text="Nieuw").wait_for()
        assert page.locator("#preview-nl strong").last.inner_text() == "Cyberbeveiligingswet"
        shot(page, screenshot_dir, "coordinator-page-preview")
        page.get_by_label("Wat is er veranderd (voor de geschiedenis)").fill("alinea erbij")
        page.get_by_role("button", name="Opslaan en publiceren").click()
        page.wait_for_url(live_server.url + "/knowledge/pages/")
        visitor = browser.new_context(locale="nl-NL").new_page()
        visitor.goto(live_server.url + "/nis2/")
        assert visitor.locator("h2", has_text="Nieuw").is_visible()
        visitor.context.close()
        # the inbox and an answer by e-mail
        page.goto(live_server.url + "/knowledge/contact/")
        shot(page, screenshot_dir, "coordinator-inbox")
        page.get_by_role("link", name="Deelname van gemeenten").click()
        page.get_by_label("Uw antwoord").fill("Dat loopt via uw veiligheidsregio.")
        page.get_by_role("button", name="Antwoord versturen").click()
        page.get_by_text("Uw antwoord is per e-mail verstuurd.").wait_for()
        shot(page, screenshot_dir, "coordinator-answered")
        message.refresh_from_db()
        assert message.state == "answered"
        assert [m["X-RcptTo"] for m in smtp_server.messages] == ["anne@gemeente.example"]
        assert page.errors == []
    finally:
        page.context.close()


def test_a_member_searches_the_knowledge_base(browser: Any, live_server: Any, people: Any,
                                              screenshot_dir: Path) -> None:
    import io

    from vrisac.core.testing import make_report
    from vrisac.knowledge import services

    services.knowledge_item_create(
        author=people["utrecht"], kind="document", title="Draaiboek gijzelsoftware",
        description="Wat te doen in de eerste 72 uur.", stream=io.BytesIO(b"stap 1\n"),
        filename="draaiboek.txt", tlp="TLP:AMBER", audience="participants",
        tags=["ransomware"], publish=True)
    make_report(people["coordinator"], kind="advice", tlp="TLP:GREEN",
                title="Advies: offline back-ups tegen gijzelsoftware")
    for size in ("desktop", "phone"):
        page = _signed_in(browser, live_server, people["haaglanden"], size)
        page.size = size
        try:
            page.goto(live_server.url + "/knowledge/")
            search = page.locator("main").get_by_role("searchbox", name="Zoeken", exact=True)
            search.fill("gijzelsoftware")
            page.get_by_role("button", name="Zoeken").click()
            page.get_by_role("heading", name="2 resultaten voor ‘gijzelsoftware’").wait_for()
            assert page.locator(".meta", has_text="ISAC-product").is_visible()
            shot(page, screenshot_dir, "member-search")
            assert page.errors == []
        finally:
            page.context.close()
