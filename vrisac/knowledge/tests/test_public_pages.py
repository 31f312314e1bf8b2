"""The public pages: first content, both languages, caching, editing with history, media."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from vrisac.core.errors import NotAllowed
from vrisac.core.models import AuditEvent
from vrisac.core.testing import client_for
from vrisac.knowledge import services
from vrisac.knowledge.links import PAGES
from vrisac.knowledge.models import MediaItem, PublicPage, PublicPageRevision

pytestmark = pytest.mark.django_db

NL_PATHS = ["/", "/vr-isac/", "/ncsc/", "/nis2/", "/cvd/", "/digitale-ontwrichting/",
            "/podcasts/", "/video/", "/privacy/"]


def h1(response: Any) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)
    assert match, "the page has no h1"
    return match.group(1).strip()


def ol_items(html: str) -> int:
    match = re.search(r"<ol>(.*?)</ol>", html, re.S)
    assert match, "no numbered list"
    return match.group(1).count("<li>")


def test_every_page_ships_with_its_first_content_in_both_languages() -> None:
    slugs = set(PublicPage.Slug.values)
    pages = {p.slug: p for p in PublicPage.objects.all()}
    assert set(pages) == slugs
    for page in pages.values():
        for field in ("title_nl", "title_en", "summary_nl", "summary_en", "body_nl", "body_en",
                      "body_html_nl", "body_html_en"):
            assert getattr(page, field).strip(), f"{page.slug}.{field} is empty"
        assert page.title_nl != page.title_en or page.slug in ("vr-isac", "nis2", "podcasts",
                                                               "video", "privacy")
        revision = PublicPageRevision.objects.get(page=page, version=1)
        assert revision.body_nl == page.body_nl
    assert MediaItem.objects.filter(kind="podcast").count() == 2
    assert MediaItem.objects.filter(kind="video").count() == 3


@pytest.mark.parametrize("path", NL_PATHS)
def test_each_page_reads_in_dutch_and_english(client: Client, path: str) -> None:
    dutch = client.get(path)
    english = client.get("/en" + path)
    assert dutch.status_code == english.status_code == 200
    assert dutch["Content-Language"] == "nl" and english["Content-Language"] == "en"
    assert '<html lang="nl">' in dutch.content.decode()
    assert '<html lang="en">' in english.content.decode()
    slug = dict((name, slug) for name, slug in PAGES)[
        "home" if path == "/" else path.strip("/")]
    page = PublicPage.objects.get(slug=slug)
    assert h1(dutch) == page.title_nl
    assert h1(english) == page.title_en
    # the header speaks the page's language and links to the other version
    assert f'href="/en{path}"' in dutch.content.decode()
    assert f'hreflang="nl" href="http://127.0.0.1:8000{path}"' in english.content.decode()


def test_the_home_page_is_digitale_weerbaarheid_with_its_facts(client: Client) -> None:
    text = client.get("/").content.decode()
    assert h1(client.get("/")) == "Digitale weerbaarheid"
    for fact in ("betalingsverkeer", "112", "Noord- en Oost-Gelderland", "voorkomen",
                 "bestrijden"):
        assert fact in text
    assert client.get("/digitale-weerbaarheid/")["Location"] == "/"
    from vrisac.core import views as core_views

    assert not hasattr(core_views, "public_home")


def test_vrisac_ncsc_and_cvd_pages_say_what_the_issue_asks(client: Client) -> None:
    vrisac = client.get("/vr-isac/").content.decode()
    assert "Veiligheidsberaad" in vrisac and "maximaal twee" in vrisac
    assert vrisac.count("<li>") >= 4  # the four tasks
    ncsc = client.get("/ncsc/").content.decode()
    assert ol_items(ncsc) == 6
    cvd = client.get("/cvd/").content.decode()
    assert ol_items(cvd) == 3
    assert "2022/2555" in client.get("/nis2/").content.decode()


def test_anonymous_pages_are_cacheable_and_set_no_cookie(client: Client) -> None:
    response = client.get("/ncsc/")
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "public" in cache_control and "max-age=300" in cache_control
    assert response["ETag"].startswith('"')
    assert response["Last-Modified"].endswith("GMT")
    assert not response.cookies, f"cookies set: {list(response.cookies)}"
    kept = client.get("/ncsc/")  # the second visitor gets the page kept for all
    assert kept.content == response.content and kept["ETag"] == response["ETag"]
    assert "Cookie" in kept["Vary"] and "public" in kept["Cache-Control"]
    again = client.get("/ncsc/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert not again.content
    other = client.get("/ncsc/", HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200


def test_a_page_costs_one_cached_read_and_no_query_once_warm(
        client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    cache.clear()
    with django_assert_max_num_queries(2):  # the page and its media, then into the cache
        assert client.get("/video/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/video/").status_code == 200
        assert client.get("/en/video/").status_code == 200


def test_signed_in_members_get_a_private_copy(client: Client, people: dict[str, Any]) -> None:
    client.get("/")  # an anonymous visitor first: the page is kept for anonymous visitors
    response = client_for(people["utrecht"]).get("/")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "ETag" not in response
    assert "Pieter Utrecht" in response.content.decode()  # their own header, not the kept one
    assert "Pieter Utrecht" not in client.get("/").content.decode()


def test_a_coordinator_edit_makes_a_new_version_visible_at_once(
        client: Client, people: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    client.get("/nis2/")  # warm the cache
    page = PublicPage.objects.get(slug="nis2")
    texts = {k: getattr(page, k) for k in services.PAGE_TEXT_FIELDS}
    texts["body_nl"] = texts["body_nl"] + "\n\nNieuwe alinea over de **Cyberbeveiligingswet**."
    with django_capture_on_commit_callbacks(execute=True):
        services.public_page_update(page=page, acting_user=people["coordinator"],
                                    note="alinea toegevoegd", **texts)
    shown = client.get("/nis2/").content.decode()
    assert "<strong>Cyberbeveiligingswet</strong>" in shown
    page.refresh_from_db()
    assert page.version == 2
    assert list(page.revisions.values_list("version", flat=True)) == [2, 1]
    assert AuditEvent.objects.filter(action="knowledge.page.edit",
                                     details__slug="nis2").exists()
    # restoring version 1 is a third version with the first text
    with django_capture_on_commit_callbacks(execute=True):
        services.public_page_restore(page=page, version=1, acting_user=people["coordinator"])
    assert "Nieuwe alinea" not in client.get("/nis2/").content.decode()
    assert PublicPage.objects.get(slug="nis2").version == 3


def test_page_text_is_sanitised(client: Client, people: dict[str, Any],
                                django_capture_on_commit_callbacks: Any) -> None:
    page = PublicPage.objects.get(slug="cvd")
    texts = {k: getattr(page, k) for k in services.PAGE_TEXT_FIELDS}
    texts["body_en"] = ('<script>alert(1)</script>\n\n[click](javascript:alert(1)) '
                        '<img src=x onerror=alert(1)>')
    with django_capture_on_commit_callbacks(execute=True):
        services.public_page_update(page=page, acting_user=people["coordinator"], **texts)
    html = client.get("/en/cvd/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert 'href="javascript' not in html
    assert "<img src=x" not in html


def test_only_coordinators_edit_pages(people: dict[str, Any]) -> None:
    page = PublicPage.objects.get(slug="ncsc")
    texts = {k: getattr(page, k) for k in services.PAGE_TEXT_FIELDS}
    for who in ("utrecht", "partner", "admin", "observer"):
        with pytest.raises(NotAllowed):
            services.public_page_update(page=page, acting_user=people[who], **texts)
        assert client_for(people[who]).get("/knowledge/pages/").status_code == 404
        assert client_for(people[who]).get("/knowledge/pages/ncsc/").status_code == 404
    assert PublicPage.objects.get(slug="ncsc").version == 1


def test_page_editor_saves_through_the_form(people: dict[str, Any]) -> None:
    coordinator = client_for(people["coordinator"])
    page = PublicPage.objects.get(slug="privacy")
    form = coordinator.get("/knowledge/pages/privacy/")
    assert form.status_code == 200 and 'hx-post="/knowledge/preview/?field=body_nl"' in \
        form.content.decode()
    data = {k: getattr(page, k) for k in services.PAGE_TEXT_FIELDS}
    data["title_en"] = ""
    refused = coordinator.post("/knowledge/pages/privacy/", data)
    assert refused.status_code == 200 and PublicPage.objects.get(slug="privacy").version == 1
    data["title_en"] = "Privacy statement"
    saved = coordinator.post("/knowledge/pages/privacy/", data)
    assert saved.status_code == 302
    assert PublicPage.objects.get(slug="privacy").title_en == "Privacy statement"
    preview = coordinator.post("/knowledge/preview/?field=body_nl", {"body_nl": "**vet**"})
    assert "<strong>vet</strong>" in preview.content.decode()
    history = coordinator.get("/knowledge/pages/privacy/history/")
    assert "Privacy statement" in history.content.decode()


def test_privacy_page_states_the_configured_retention(client: Client, monkeypatch: Any) -> None:
    assert "12 maanden" in client.get("/privacy/").content.decode()
    monkeypatch.setenv("VRISAC_CONTACT_RETENTION_MONTHS", "6")
    assert "6 months" in client.get("/en/privacy/").content.decode()


def _embed_video(coordinator: Any, **fields: Any) -> MediaItem:
    values: dict[str, Any] = {"kind": "video", "title_nl": "Oefening cyberincident",
              "title_en": "Cyber incident exercise", "description_nl": "Een oefening.",
              "url": "https://www.youtube.com/watch?v=abcdefghijk", "embed": True,
              "duration_seconds": 754}
    values.update(fields)
    return services.media_item_save(acting_user=coordinator, **values)


def test_embeds_need_consent_and_only_their_host_may_be_framed(
        client: Client, people: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    before = client.get("/video/")
    assert "frame-src 'none'" in before["Content-Security-Policy"]
    with django_capture_on_commit_callbacks(execute=True):
        item = _embed_video(people["coordinator"])
    assert item.embed_url == "https://www.youtube-nocookie.com/embed/abcdefghijk"
    response = client.get("/video/")
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com;" in policy + ";"
    assert "'none'" not in policy.split("frame-src")[1].split(";")[0]
    assert "<iframe" not in html  # the player is inserted only after the click
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/abcdefghijk"' in html
    assert '<time datetime="PT12M34S">12:34</time>' in html
    # other pages keep framing closed
    assert "frame-src 'none'" in client.get("/podcasts/")["Content-Security-Policy"]


def test_only_known_providers_can_be_embedded(people: dict[str, Any]) -> None:
    from vrisac.core.errors import DomainError

    with pytest.raises(DomainError) as refused:
        _embed_video(people["coordinator"], url="https://evil.example/player?x=1")
    assert refused.value.field == "embed"
    link = _embed_video(people["coordinator"], url="https://evil.example/video", embed=False)
    assert link.embed_url == ""


def test_media_form_parses_durations_and_removes_items(people: dict[str, Any]) -> None:
    coordinator = client_for(people["coordinator"])
    response = coordinator.post("/knowledge/media/new/", {
        "kind": "podcast", "title_nl": "Aflevering 1", "title_en": "Episode 1",
        "url": "https://vimeo.com/123456", "embed": "on", "duration": "1:02:03",
        "position": "3", "published": "on"})
    assert response.status_code == 302
    item = MediaItem.objects.get(title_nl="Aflevering 1")
    assert item.duration_seconds == 3723
    assert item.embed_url == "https://player.vimeo.com/video/123456?dnt=1"
    bad = coordinator.post(f"/knowledge/media/{item.pk}/", {
        "kind": "podcast", "title_nl": "Aflevering 1", "title_en": "Episode 1",
        "url": "https://vimeo.com/123456", "duration": "90 minuten", "position": "3"})
    assert bad.status_code == 200 and "minuten:seconden" in bad.content.decode()
    coordinator.post(f"/knowledge/media/{item.pk}/", {"delete": "1"})
    assert not MediaItem.objects.filter(pk=item.pk).exists()
    assert client_for(people["utrecht"]).get("/knowledge/media/").status_code == 404
