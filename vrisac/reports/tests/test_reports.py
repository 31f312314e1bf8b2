from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.models import AuditEvent
from vrisac.core.testing import client_for, make_report, organisation
from vrisac.reports.models import Attachment, Report, ReportRevision
from vrisac.reports.services import (
    attachment_add,
    comment_create,
    report_publish,
    report_retract,
    report_update,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


@pytest.mark.django_db
@translation.override("en")
def test_sharing_rules(people: dict[str, Any]) -> None:
    author = people["utrecht"]
    with pytest.raises(DomainError, match="TLP:RED"):
        make_report(author, tlp="TLP:RED", audience="participants")
    with pytest.raises(DomainError, match="TLP:CLEAR"):
        make_report(author, tlp="TLP:GREEN", audience="public")
    with pytest.raises(DomainError):
        make_report(author, tlp="TLP:RED", audience="people", audience_people=[])
    with pytest.raises(DomainError, match="aggregates"):
        make_report(author, audience="organisations",
                    audience_organisations=[organisation("veiligheidsberaad")])
    with pytest.raises(DomainError, match="cannot receive"):
        make_report(author, tlp="TLP:RED", audience="people",
                    audience_people=[people["observer"]])
    red = make_report(author, tlp="TLP:RED", audience="people",
                      audience_people=[people["coordinator"]])
    assert red.status == "published"
    assert make_report(author, tlp="TLP:CLEAR", audience="public").audience == "public"


@pytest.mark.django_db
def test_only_coordinators_publish_isac_warnings(people: dict[str, Any]) -> None:
    with pytest.raises(NotAllowed):
        make_report(people["utrecht"], kind="warning")
    assert make_report(people["coordinator"], kind="warning").kind == "warning"
    with pytest.raises(NotAllowed):
        make_report(people["observer"])


@pytest.mark.django_db
def test_edit_keeps_history_and_a_retracted_report_is_frozen(people: dict[str, Any]) -> None:
    report = make_report(people["utrecht"], title="First", body="one")
    report = report_update(report=report, acting_user=people["utrecht"], title="Second",
                           body="two", tags=["ransomware", "#VPN"])
    assert report.version == 2
    assert list(ReportRevision.objects.filter(report=report).order_by("version")
                .values_list("title", flat=True)) == ["First", "Second"]
    assert sorted(t.name for t in report.tags.all()) == ["ransomware", "vpn"]
    colleague = report_update(report=report, acting_user=people["utrecht2"], summary="by colleague")
    assert colleague.version == 3
    with pytest.raises(NotFound):
        report_update(report=report, acting_user=people["haaglanden"], title="hijack")
    report_retract(report=report, acting_user=people["coordinator"], reason="wrong")
    with pytest.raises(DomainError):
        report_update(report=report, acting_user=people["utrecht"], title="after")
    actions = list(AuditEvent.objects.filter(object_id=str(report.pk),
                                             object_type="reports.report")
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["report.create", "report.publish", "report.edit", "report.edit",
                       "report.retract"]


@pytest.mark.django_db
def test_markdown_is_sanitised(people: dict[str, Any]) -> None:
    report = make_report(people["utrecht"], body=(
        "<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold** "
        "<img src=x onerror=alert(1)>"))
    html = report.body_html
    # Raw HTML is shown as text, never as elements; javascript: links are dropped.
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "<strong>bold</strong>" in html
    page = client_for(people["utrecht2"]).get(f"/reports/{report.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page


@pytest.mark.django_db
def test_comments_inherit_the_audience_and_need_a_published_report(people: dict[str, Any]
                                                                    ) -> None:
    report = make_report(people["utrecht"], audience="organisation", tlp="TLP:AMBER+STRICT")
    comment_create(report=report, author=people["utrecht2"], body="colleague")
    with pytest.raises(NotFound):
        comment_create(report=report, author=people["haaglanden"], body="outsider")
    draft = make_report(people["utrecht"], publish=False)
    with pytest.raises(DomainError):
        comment_create(report=draft, author=people["utrecht"], body="early")
    response = client_for(people["haaglanden"]).post(f"/reports/{report.pk}/comments/",
                                                     {"body": "x"})
    assert response.status_code == 404


@pytest.mark.django_db
def test_drafts_are_for_their_author_and_publishing_happens_once(people: dict[str, Any]) -> None:
    draft = make_report(people["utrecht"], publish=False)
    assert client_for(people["utrecht2"]).get(f"/reports/{draft.pk}/").status_code == 404
    assert client_for(people["utrecht"]).get(f"/reports/{draft.pk}/").status_code == 200
    report_publish(report=draft, acting_user=people["utrecht"])
    with pytest.raises(DomainError):
        report_publish(report=draft, acting_user=people["utrecht"])


@pytest.mark.django_db
def test_views_of_red_and_amber_strict_are_audited(people: dict[str, Any]) -> None:
    red = make_report(people["utrecht"], tlp="TLP:RED", audience="people",
                      audience_people=[people["coordinator"]])
    amber = make_report(people["utrecht"], tlp="TLP:AMBER")
    web = client_for(people["coordinator"])
    web.get(f"/reports/{red.pk}/")
    web.get(f"/reports/{amber.pk}/")
    views = AuditEvent.objects.filter(action="report.view")
    assert list(views.values_list("object_id", flat=True)) == [str(red.pk)]
    assert views.get().actor_id == people["coordinator"].pk


@pytest.mark.django_db
def test_attachments_are_checked_stored_outside_and_downloaded_with_a_check(
    people: dict[str, Any], settings: Any,
) -> None:
    report = make_report(people["utrecht"], audience="organisation")
    web = client_for(people["utrecht"])
    upload = SimpleUploadedFile("timeline.pdf", PDF, content_type="application/pdf")
    assert web.post(f"/reports/{report.pk}/attachments/", {"file": upload}).status_code == 302
    attachment = Attachment.objects.get(report=report)
    stored = settings.ATTACHMENT_ROOT / attachment.uuid.hex[:2] / attachment.uuid.hex
    at_rest = stored.read_bytes()
    assert at_rest.startswith(b"VRA1") and b"%PDF" not in at_rest  # encrypted at rest
    assert str(settings.STATIC_ROOT) not in str(stored)
    response = client_for(people["utrecht2"]).get(f"/reports/attachments/{attachment.uuid}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert client_for(people["haaglanden"]).get(
        f"/reports/attachments/{attachment.uuid}/").status_code == 404
    assert AuditEvent.objects.filter(action="attachment.download").count() == 1


@pytest.mark.django_db
@translation.override("en")
def test_attachment_type_is_checked_by_content_and_size_capped(people: dict[str, Any],
                                                               settings: Any) -> None:
    report = make_report(people["utrecht"])
    author = people["utrecht"]
    with pytest.raises(DomainError, match="PNG"):
        attachment_add(report=report, uploaded_by=author, stream=io.BytesIO(PNG),
                       filename="looks-like.pdf")
    with pytest.raises(DomainError, match="not accepted"):
        attachment_add(report=report, uploaded_by=author,
                       stream=io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00binary"),
                       filename="notes.txt")
    with pytest.raises(DomainError, match="not accepted"):
        attachment_add(report=report, uploaded_by=author, stream=io.BytesIO(b"#!/bin/sh\n"),
                       filename="run.sh")
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(DomainError, match="larger than"):
        attachment_add(report=report, uploaded_by=author, stream=io.BytesIO(b"a" * 2048),
                       filename="big.txt")
    assert not Attachment.objects.exists()
    root = settings.ATTACHMENT_ROOT
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))
    ok = attachment_add(report=report, uploaded_by=author, stream=io.BytesIO(PNG),
                        filename="../../etc/screen.png")
    assert ok.filename == "screen.png" and ok.content_type == "image/png"
    with pytest.raises(NotFound):
        attachment_add(report=report, uploaded_by=people["haaglanden"],
                       stream=io.BytesIO(PNG), filename="x.png")


@pytest.mark.django_db
def test_pages_answer_404_for_what_is_not_visible(people: dict[str, Any]) -> None:
    report = make_report(people["utrecht"], audience="organisation")
    outsider = client_for(people["haaglanden"])
    for path in (f"/reports/{report.pk}/", f"/reports/{report.pk}/edit/",
                 f"/reports/{report.pk}/history/", f"/reports/{report.pk}/retract/",
                 "/reports/999999/"):
        assert outsider.get(path).status_code == 404, path
    assert outsider.post(f"/reports/{report.pk}/publish/").status_code == 404
    from django.test import Client

    anonymous = Client().get(f"/reports/{report.pk}/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.django_db
def test_write_and_publish_in_the_interface(people: dict[str, Any]) -> None:
    web = client_for(people["utrecht"])
    assert web.get("/reports/new/").status_code == 200
    response = web.post("/reports/new/", {
        "kind": "incident", "title": "Phishing op de meldkamer", "summary": "s", "body": "b",
        "tlp": "TLP:RED", "audience": "participants", "tags": "phishing", "publish": "1"})
    assert response.status_code == 200  # the rule is shown on the form
    assert "TLP:RED" in response.content.decode()
    response = web.post("/reports/new/", {
        "kind": "incident", "title": "Phishing op de meldkamer", "summary": "s", "body": "b",
        "tlp": "TLP:AMBER", "audience": "participants", "tags": "phishing", "publish": "1"})
    assert response.status_code == 302
    report = Report.objects.get(title="Phishing op de meldkamer")
    assert report.status == "published" and report.organisation.slug == "utrecht"
    assert client_for(people["haaglanden"]).get(f"/reports/{report.pk}/").status_code == 200


@pytest.mark.django_db
def test_list_page_query_budget(people: dict[str, Any],
                                django_assert_max_num_queries: Any) -> None:
    for n in range(30):
        report = make_report(people["utrecht" if n % 2 else "haaglanden"], tags=["a", f"t{n}"],
                             anonymous=n % 3 == 0)
        comment_create(report=report, author=people["vnog"], body="seen")
    web = client_for(people["vnog"])
    web.get("/reports/")
    with django_assert_max_num_queries(14):
        assert web.get("/reports/").status_code == 200
    with django_assert_max_num_queries(16):
        assert web.get("/dashboard/").status_code == 200
