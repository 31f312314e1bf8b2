"""The STIX faces: the REST endpoints and the download on the report page, each answering
exactly what the policy allows."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from vrisac.core.testing import api_client, client_for, make_report
from vrisac.reports.models import Report

from .test_export import by_type, validate
from .test_import import _bundle

pytestmark = pytest.mark.django_db


def test_api_exports_a_report_the_token_holder_may_see(people: Any) -> None:
    shared = make_report(people["utrecht"], audience="partners", tlp="TLP:GREEN",
                         indicators=[{"type": "ipv4", "value": "192.0.2.7"}])
    participants_only = make_report(people["utrecht"], audience="participants")
    own_org = make_report(people["utrecht"], audience="organisation")
    partner = api_client(people["partner"], ["reports:read"])
    response = partner.get(f"/api/v1/stix/reports/{shared.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/stix+json;version=2.1"
    bundle = orjson.loads(response.content)
    assert validate(bundle) == []
    assert by_type(bundle, "report")[0]["id"] == f"report--{shared.uuid}"
    for hidden in (participants_only, own_org):
        assert partner.get(f"/api/v1/stix/reports/{hidden.pk}").status_code == 404
    other = api_client(people["haaglanden"], ["reports:read"])
    assert other.get(f"/api/v1/stix/reports/{own_org.pk}").status_code == 404
    assert other.get(f"/api/v1/stix/reports/{participants_only.pk}").status_code == 200
    no_scope = api_client(people["haaglanden"], ["intel:read"])
    assert no_scope.get(f"/api/v1/stix/reports/{shared.pk}").status_code == 403


def test_api_imports_a_bundle(people: Any) -> None:
    client = api_client(people["haaglanden"], ["reports:write"])
    response = client.post("/api/v1/stix/bundles?tlp=TLP:GREEN&audience=partners",
                           _bundle(), content_type="application/json")
    assert response.status_code == 200, response.content
    result = response.json()
    report = Report.objects.get(pk=result["created"][0])
    assert (report.tlp, report.audience, report.organisation.slug) == (
        "TLP:GREEN", "partners", "haaglanden")
    bad = client.post("/api/v1/stix/bundles", b'{"type": "bundle", "id": "bundle--x"}',
                      content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("request body id: bundle--x ")
    read_only = api_client(people["haaglanden"], ["reports:read"])
    assert read_only.post("/api/v1/stix/bundles", _bundle(),
                          content_type="application/json").status_code == 403
    assert "/api/v1/stix/bundles" in client.get("/api/v1/openapi.json").json()["paths"]


def test_report_page_offers_the_stix_download(people: Any) -> None:
    report = make_report(people["utrecht"], audience="organisation")
    colleague = client_for(people["utrecht2"])
    page = colleague.get(report.get_absolute_url())
    assert f'href="/stix/reports/{report.pk}.json"' in page.content.decode()
    download = colleague.get(f"/stix/reports/{report.pk}.json")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert by_type(orjson.loads(download.content), "report")[0]["name"] == report.title
    assert client_for(people["haaglanden"]).get(
        f"/stix/reports/{report.pk}.json").status_code == 404
    assert client_for(people["partner"]).get(
        f"/stix/reports/{report.pk}.json").status_code == 404
