"""The members' knowledge base: documents and links under TLP and audience, versions, tags,
full-text search together with the ISAC products, and the REST API."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.jobs import job_run
from vrisac.core.models import AuditEvent
from vrisac.core.testing import api_client, client_for, make_report
from vrisac.knowledge import search, selectors, services
from vrisac.knowledge.models import KnowledgeItem, KnowledgeItemVersion

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
PDF = (FIXTURES / "tiny.pdf").read_bytes()


def document(author: Any, *, title: str = "Draaiboek ransomware", content: bytes = PDF,
             filename: str = "draaiboek.pdf", **fields: Any) -> KnowledgeItem:
    values: dict[str, Any] = {"description": "Het **draaiboek** voor een aanval.",
                              "tlp": "TLP:AMBER", "audience": "participants", "publish": True}
    values.update(fields)
    return services.knowledge_item_create(author=author, kind="document", title=title,
                                          stream=io.BytesIO(content), filename=filename,
                                          **values)


def link(author: Any, *, title: str = "NIS2 op EUR-Lex", **fields: Any) -> KnowledgeItem:
    values: dict[str, Any] = {"url": "https://eur-lex.europa.eu/eli/dir/2022/2555/oj",
                              "tlp": "TLP:GREEN", "audience": "participants", "publish": True}
    values.update(fields)
    return services.knowledge_item_create(author=author, kind="link", title=title, **values)


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def stored_files() -> list[Path]:
    root = Path(settings.ATTACHMENT_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ------------------------------------------------------------------------------ documents


def test_a_document_is_stored_and_downloaded_by_its_audience_only(
        people: dict[str, Any]) -> None:
    item = document(people["utrecht"], tlp="TLP:AMBER+STRICT", audience="organisation",
                    tags=["Ransomware", "draaiboek"])
    assert item.content_type == "application/pdf" and item.size == len(PDF)
    assert [t.name for t in item.tags.all()] == ["draaiboek", "ransomware"]
    colleague = client_for(people["utrecht2"])
    page = colleague.get(f"/knowledge/items/{item.uuid}/")
    assert page.status_code == 200 and "<strong>draaiboek</strong>" in page.content.decode()
    download = colleague.get(f"/knowledge/items/{item.uuid}/file/")
    assert download.status_code == 200
    assert streamed(download) == PDF
    assert download["Content-Disposition"].startswith('attachment; filename="draaiboek.pdf"')
    assert "no-store" in download["Cache-Control"]
    assert AuditEvent.objects.filter(action="knowledge.item.download").count() == 1
    assert AuditEvent.objects.filter(action="knowledge.item.view").count() == 1  # +STRICT
    for who in ("haaglanden", "coordinator", "partner", "observer", "admin"):
        other = client_for(people[who])
        assert other.get(f"/knowledge/items/{item.uuid}/").status_code == 404
        assert other.get(f"/knowledge/items/{item.uuid}/file/").status_code == 404
    assert Client().get(f"/knowledge/items/{item.uuid}/file/").status_code == 302


@pytest.mark.parametrize(("content", "filename", "words"), [
    (b"MZ\x90\x00\x03" + b"\x00" * 200, "tool.exe", "niet toegestaan"),
    (PDF, "rapport.docx", "PDF"),
    (b"", "leeg.txt", "leeg"),
    (b"\x00\x01\x02binary", "data.txt", "niet toegestaan"),
])
def test_a_refused_file_is_named_and_leaves_nothing_behind(
        people: dict[str, Any], content: bytes, filename: str, words: str) -> None:
    from django.utils import translation

    with translation.override("nl"), pytest.raises(DomainError) as refused:
        document(people["utrecht"], content=content, filename=filename)
    assert refused.value.field == "file"
    assert filename in refused.value.message
    assert not KnowledgeItem.objects.exists() and not stored_files()


def test_an_oversized_file_is_refused(people: dict[str, Any], settings: Any) -> None:
    settings.ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(DomainError) as refused:
        document(people["utrecht"], content=b"a" * 500, filename="groot.txt")
    assert "groot.txt" in refused.value.message
    assert not KnowledgeItem.objects.exists() and not stored_files()


def test_a_failed_write_removes_the_stored_file(people: dict[str, Any]) -> None:
    with pytest.raises(DomainError):
        document(people["utrecht"], tlp="TLP:RED", audience="participants")  # not allowed
    assert not stored_files() and not KnowledgeItem.objects.exists()


def test_the_upload_form_names_a_refused_file(people: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    member = client_for(people["utrecht"])
    response = member.post("/knowledge/new/", {
        "kind": "document", "title": "Script", "tlp": "TLP:GREEN", "audience": "participants",
        "file": SimpleUploadedFile("script.exe", b"MZ\x90\x00" + b"\x00" * 100)})
    assert response.status_code == 200
    assert "script.exe" in response.content.decode()
    assert not KnowledgeItem.objects.exists()


def test_links_need_a_web_address(people: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as refused:
        link(people["utrecht"], url="javascript:alert(1)")
    assert refused.value.field == "url"
    item = link(people["utrecht"])
    page = client_for(people["haaglanden"]).get(item.get_absolute_url()).content.decode()
    assert 'href="https://eur-lex.europa.eu/eli/dir/2022/2555/oj"' in page


def test_only_content_roles_add_knowledge(people: dict[str, Any]) -> None:
    for who in ("observer", "admin"):
        with pytest.raises(NotAllowed):
            link(people[who])
        assert client_for(people[who]).get("/knowledge/new/").status_code == 404
        assert client_for(people[who]).get("/knowledge/").status_code == 404


# ------------------------------------------------------------------------------ versions


def test_a_new_version_keeps_the_earlier_file(people: dict[str, Any]) -> None:
    item = document(people["utrecht"])
    first_storage = item.storage_name
    updated = services.knowledge_item_update(
        item=item, acting_user=people["utrecht2"], title="Draaiboek ransomware 2.0",
        stream=io.BytesIO(b"versie twee\n"), filename="draaiboek.txt", note="nieuwe versie")
    assert updated.version == 2 and updated.filename == "draaiboek.txt"
    versions = list(KnowledgeItemVersion.objects.filter(item=item).order_by("version"))
    assert [(v.version, v.filename) for v in versions] == [(1, "draaiboek.pdf"),
                                                          (2, "draaiboek.txt")]
    assert versions[0].storage_name == first_storage and len(stored_files()) == 2
    editor = client_for(people["utrecht"])
    old = editor.get(f"/knowledge/items/{item.uuid}/file/1/")
    assert streamed(old) == PDF
    history = editor.get(f"/knowledge/items/{item.uuid}/history/").content.decode()
    assert "nieuwe versie" in history and "draaiboek.pdf" in history
    # a reader who may not edit sees the current version, not the history
    reader = client_for(people["haaglanden"])
    assert reader.get(f"/knowledge/items/{item.uuid}/file/").status_code == 200
    assert reader.get(f"/knowledge/items/{item.uuid}/file/1/").status_code == 404
    assert reader.get(f"/knowledge/items/{item.uuid}/history/").status_code == 404
    with pytest.raises(NotFound):
        services.knowledge_item_update(item=item, acting_user=people["haaglanden"], title="x")


def test_edit_publish_and_withdraw_through_the_pages(people: dict[str, Any]) -> None:
    item = link(people["utrecht"], publish=False)
    member = client_for(people["utrecht"])
    response = member.post(f"/knowledge/items/{item.uuid}/edit/", {
        "title": "NIS2-richtlijn", "url": "https://eur-lex.europa.eu/eli/dir/2022/2555/oj",
        "tlp": "TLP:GREEN", "audience": "participants", "tags": "nis2, wetgeving",
        "note": "titel", "publish": "1"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.status, item.version) == ("NIS2-richtlijn", "published", 2)
    coordinator = client_for(people["coordinator"])
    assert coordinator.post(f"/knowledge/items/{item.uuid}/retract/").status_code == 302
    item.refresh_from_db()
    assert item.status == "retracted"
    assert "ingetrokken" in member.get(item.get_absolute_url()).content.decode()


# ------------------------------------------------------------------------------ lists


def test_the_list_shows_only_what_the_reader_may_see_within_a_query_budget(
        people: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    for i in range(12):
        link(people["utrecht"], title=f"Gedeeld {i}", tags=["gedeeld", f"t{i}"])
    link(people["utrecht"], title="Alleen Utrecht", tlp="TLP:AMBER", audience="organisation")
    make_report(people["coordinator"], kind="advice", title="Advies MFA", tlp="TLP:GREEN")
    reader = client_for(people["haaglanden"])
    reader.get("/knowledge/")
    with django_assert_max_num_queries(12):
        response = reader.get("/knowledge/")
    html = response.content.decode()
    assert html.count("Gedeeld ") == 12 and "Alleen Utrecht" not in html
    assert "Advies MFA" in html
    with django_assert_max_num_queries(12):
        tagged = reader.get("/knowledge/?tag=t3").content.decode()
    assert "Gedeeld 3" in tagged and "Gedeeld 4" not in tagged


# ------------------------------------------------------------------------------ search


def test_search_finds_knowledge_and_isac_products_in_one_place(people: dict[str, Any]) -> None:
    document(people["utrecht"], title="Herstelplan na gijzelsoftware",
             description="Stappen voor het herstel van de werkplekken.", tags=["herstel"])
    link(people["haaglanden"], title="Checklist phishing", description="Over gijzelsoftware.")
    product = make_report(people["coordinator"], kind="advice", tlp="TLP:GREEN",
                          title="Advies: offline back-ups tegen gijzelsoftware")
    make_report(people["utrecht"], kind="advice", tlp="TLP:GREEN",
                title="Eigen advies over gijzelsoftware")  # not an ISAC product
    make_report(people["coordinator"], kind="incident", title="Incident gijzelsoftware")
    hits = selectors.knowledge_search(user=people["vnog"], q="gijzelsoftware")
    kinds = {(h.kind, h.obj.title) for h in hits}
    assert kinds == {("item", "Herstelplan na gijzelsoftware"),
                     ("item", "Checklist phishing"), ("product", product.title)}
    # a title hit ranks above a hit in the text
    titles = [h.obj.title for h in hits]
    assert titles.index("Checklist phishing") > titles.index("Herstelplan na gijzelsoftware")
    # tags and the start of a word find too; every word must match
    assert [h.obj.title for h in selectors.knowledge_search(user=people["vnog"], q="herst")] \
        == ["Herstelplan na gijzelsoftware"]
    assert not selectors.knowledge_search(user=people["vnog"], q="gijzelsoftware phishing x9")


def test_search_never_shows_or_counts_what_the_reader_may_not_see(
        people: dict[str, Any]) -> None:
    document(people["utrecht"], title="Geheim draaiboek kroonjuwelen", tlp="TLP:AMBER",
             audience="organisation")
    make_report(people["coordinator"], kind="warning", title="Waarschuwing kroonjuwelen",
                tlp="TLP:RED", audience="people", audience_people=[people["utrecht"]])
    assert len(selectors.knowledge_search(user=people["utrecht2"], q="kroonjuwelen")) == 1
    assert len(selectors.knowledge_search(user=people["utrecht"], q="kroonjuwelen")) == 2
    for who in ("haaglanden", "partner", "observer"):
        assert selectors.knowledge_search(user=people[who], q="kroonjuwelen") == []
    page = client_for(people["haaglanden"]).get("/knowledge/?q=kroonjuwelen").content.decode()
    assert "0 resultaten" in page and "Geheim" not in page


def test_hostile_search_text_is_only_words(people: dict[str, Any]) -> None:
    link(people["utrecht"], title="Citrix NetScaler")
    for query in ('citrix" OR *', "citrix AND NOT x", "citrix)(", "'; DROP TABLE x; --",
                  "NEAR(citrix", "citrix:*", "!!!"):
        selectors.knowledge_search(user=people["utrecht"], q=query)  # never an error
    assert search.terms('citrix" OR *') == ["citrix", "OR"]
    assert [h.obj.title for h in selectors.knowledge_search(user=people["utrecht"],
                                                            q='"citrix"')] == ["Citrix NetScaler"]


def test_the_index_follows_every_change(people: dict[str, Any]) -> None:
    from vrisac.reports.services import report_update

    report = make_report(people["coordinator"], kind="advice", title="Advies over VPN",
                         tlp="TLP:GREEN")
    item = link(people["utrecht"], title="Handleiding firewall", tags=["netwerk"])
    user = people["utrecht"]
    assert len(selectors.knowledge_search(user=user, q="vpn")) == 1
    report_update(report=report, acting_user=people["coordinator"], title="Advies over MFA",
                  tags=["identiteit"])
    assert not selectors.knowledge_search(user=user, q="vpn")
    assert len(selectors.knowledge_search(user=user, q="identiteit")) == 1
    report_update(report=report, acting_user=people["coordinator"], kind="incident")
    assert not selectors.knowledge_search(user=user, q="mfa")  # no longer a product kind
    services.knowledge_item_update(item=item, acting_user=user, tags=["segmentatie"])
    assert not selectors.knowledge_search(user=user, q="netwerk")
    assert len(selectors.knowledge_search(user=user, q="segmentatie")) == 1
    KnowledgeItem.objects.filter(pk=item.pk).delete()
    assert not selectors.knowledge_search(user=user, q="firewall")
    # a rebuild from the tables gives the same index
    kept = link(user, title="Handleiding back-ups")
    job = job_run("knowledge.reindex")
    assert job.result == {"indexed": 1}
    assert [h.obj for h in selectors.knowledge_search(user=user, q="back")] == [kept]


def test_the_search_page_within_a_query_budget(
        people: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    for i in range(20):
        link(people["utrecht"], title=f"Segmentatie deel {i}", tags=["segmentatie"])
        make_report(people["coordinator"], kind="advice", tlp="TLP:GREEN",
                    title=f"Advies segmentatie {i}")
    reader = client_for(people["haaglanden"])
    reader.get("/knowledge/?q=segmentatie")
    with django_assert_max_num_queries(12):
        response = reader.get("/knowledge/?q=segmentatie")
    assert "40 resultaten" in response.content.decode()
    products = reader.get("/knowledge/?q=segmentatie&show=products").content.decode()
    assert "20 resultaten" in products


# ------------------------------------------------------------------------------ REST API


def test_the_api_lists_and_reads_within_the_policy(
        people: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    shared = document(people["utrecht"], title="Gedeeld document", tags=["draaiboek"])
    hidden = link(people["utrecht"], title="Alleen Utrecht", audience="organisation",
                  tlp="TLP:AMBER")
    for i in range(10):
        link(people["utrecht"], title=f"Link {i}")
    api = api_client(people["haaglanden"], ["knowledge:read"])
    api.get("/api/v1/knowledge/items")
    with django_assert_max_num_queries(10):
        listing = api.get("/api/v1/knowledge/items?limit=50").json()
    titles = {i["title"] for i in listing["items"]}
    assert listing["count"] == 11 and "Alleen Utrecht" not in titles
    one = api.get(f"/api/v1/knowledge/items/{shared.uuid}").json()
    assert one["tags"] == ["draaiboek"] and one["file"].endswith("/file")
    file = api.get(one["file"])
    assert file.status_code == 200 and streamed(file) == PDF
    assert api.get(f"/api/v1/knowledge/items/{hidden.uuid}").status_code == 404
    assert api.get(f"/api/v1/knowledge/items/{hidden.uuid}/file").status_code == 404
    hits = api.get("/api/v1/knowledge/search?q=utrecht").json()
    assert hits == []
    no_scope = api_client(people["haaglanden"], ["reports:read"])
    assert no_scope.get("/api/v1/knowledge/items").status_code == 403


def test_the_api_adds_links_and_documents(people: dict[str, Any]) -> None:
    api = api_client(people["utrecht"], ["knowledge:read", "knowledge:write"])
    created = api.post("/api/v1/knowledge/links", {
        "title": "NCSC-advies", "url": "https://www.ncsc.nl/", "tlp": "TLP:CLEAR",
        "audience": "participants", "tags": ["ncsc"], "status": "published"},
        content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "published"
    upload = api.post("/api/v1/knowledge/documents", {
        "title": "Checklist", "tlp": "TLP:GREEN", "audience": "participants",
        "tags": "checklist, draaiboek", "file": io.BytesIO(b"stap 1\nstap 2\n")})
    assert upload.status_code == 400  # a file without a name cannot be typed
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = api.post("/api/v1/knowledge/documents", {
        "title": "Checklist", "tlp": "TLP:GREEN", "audience": "participants",
        "tags": "checklist, draaiboek",
        "file": SimpleUploadedFile("checklist.txt", b"stap 1\nstap 2\n")})
    assert upload.status_code == 201, upload.content
    assert upload.json()["tags"] == ["checklist", "draaiboek"]
    refused = api.post("/api/v1/knowledge/documents", {
        "title": "Virus", "tlp": "TLP:GREEN", "audience": "participants",
        "file": SimpleUploadedFile("virus.exe", b"MZ\x90\x00" + b"\x00" * 64)})
    assert refused.status_code == 400 and refused.json()["field"] == "file"
    assert "virus.exe" in refused.json()["detail"]
    hits = api.get("/api/v1/knowledge/search?q=checklist").json()
    assert [h["title"] for h in hits] == ["Checklist"]
    read_only = api_client(people["utrecht"], ["knowledge:read"])
    assert read_only.post("/api/v1/knowledge/links", {}, content_type="application/json"
                          ).status_code in (403, 422)
