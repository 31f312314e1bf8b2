"""The strategic picture (aggregates only), its warnings section and quarterly PDF, and the
owner observer walking every page and API path of resilience without reaching contents."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from pypdf import PdfReader

from vrisac.core.testing import api_client, client_for, make_report
from vrisac.resilience import services, strategic
from vrisac.resilience.periods import Period

pytestmark = pytest.mark.django_db

SECRET = "GEHEIM-7f3a"

#: The documented shape of vrisac.alerts.selectors.warning_statistics().
WARNING_STATS = {
    "by_priority": {"hoog": 7, "kritiek": 2, "middel": 12, "laag": 3},
    "by_status": {"new": 5, "acknowledged": 9, "mitigated": 8, "not_affected": 2},
    "open_kritiek": 2,
    "open_kritiek_regions": None,  # one: under the policy's minimum group
    "median_seconds_to_acknowledge": 5400,
    "monthly": [{"month": "2026-09", "created": 4, "acknowledged": 3, "kritiek": 1},
                {"month": "2026-10", "created": 17, "acknowledged": 6, "kritiek": 1}],
    "regions": ["Veiligheidsregio Utrecht"],  # anything beyond the counts is ignored
}


@pytest.fixture
def content(people: dict[str, Any], six_regions: list[Any]) -> dict[str, Any]:
    """Every kind of resilience content, each carrying SECRET in its text."""
    vnog, coordinator = people["vnog"], people["coordinator"]
    report = make_report(vnog, kind="incident", title=f"Incident {SECRET}",
                         summary=SECRET, body=SECRET)
    incident = services.nis2_start(report=report, acting_user=vnog,
                                   aware_at=timezone.now() - timedelta(hours=3))
    services.nis2_submit(stage=incident.stages.get(stage="early_warning"), acting_user=vnog,
                         content={"summary": SECRET, "suspected_malicious": "yes",
                                  "cross_border": "no"})
    picture = services.picture_start(report=report, acting_user=coordinator)
    services.picture_add_update(picture=picture, acting_user=coordinator, known=SECRET)
    advice = services.advice_publish(author=coordinator, title=f"Advies {SECRET}",
                                     summary=SECRET, body=SECRET, tlp="TLP:GREEN",
                                     audience="participants", level="tactical",
                                     measure_keys=["a"])
    question = services.rfi_create(author=people["utrecht"], title=f"Vraag {SECRET}")
    services.rfi_answer(request=question, author=vnog, body=SECRET)
    meeting = services.meeting_create(author=coordinator, title=f"Overleg {SECRET}",
                                      starts_at=timezone.now(), agenda=SECRET)
    services.minutes_item_add(meeting=meeting, acting_user=coordinator, heading=SECRET)
    services.minutes_publish(meeting=meeting, acting_user=coordinator)
    period = Period.current()
    for user in six_regions:
        record = services.assessment_get_or_start(acting_user=user, period=period)
        services.assessment_save(assessment=record, acting_user=user, submit=True,
                                 scores={k: (3, SECRET) for k in "abcdefghij"})
        services.adoption_record(advice=advice, acting_user=user, state="adopted", note=SECRET)
    action = services.action_create(assessment=record, acting_user=six_regions[-1],
                                    measure_key="b", title=SECRET, owner=SECRET)
    correction = services.correction_request(
        assessment=record, acting_user=six_regions[-1], scores={"a": (4, SECRET)},
        reason=SECRET)
    return {"report": report, "incident": incident, "picture": picture, "advice": advice,
            "question": question, "meeting": meeting, "action": action,
            "correction": correction,
            "stage": incident.stages.first(), "period": period}


def _resilience_urls(content: dict[str, Any]) -> list[str]:
    """Every URL pattern of the app, filled with the ids of real objects."""
    values = {
        "period": content["period"].key, "pk": None, "report_id": content["report"].pk,
        "stage_id": content["stage"].pk, "fmt": "pdf", "name": "reports",
    }
    pk_for = {
        "nis2": content["incident"].pk, "questions": content["question"].pk,
        "meetings": content["meeting"].pk, "advice": content["advice"].pk,
        "actions": content["action"].pk, "corrections": content["correction"].pk,
    }
    resolver = get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) != "resilience":
            continue
        for sub in pattern.url_patterns:  # type: ignore[union-attr]
            assert isinstance(sub, URLPattern)
            names = list(sub.pattern.converters)
            kwargs = {n: values[n] for n in names if n != "pk"}
            if "pk" in names:
                route = str(sub.pattern)
                kwargs["pk"] = pk_for[route.split("/")[0]]
            found.append(reverse(f"resilience:{sub.name}", kwargs=kwargs))
            if "fmt" in names:
                found.append(reverse(f"resilience:{sub.name}", kwargs={**kwargs, "fmt": "json"}))
    return found


def _text(response: Any) -> str:
    if response.get("Content-Type", "").startswith("application/pdf"):
        return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return response.content.decode(errors="replace")


def test_the_observer_never_reaches_contents_through_any_page(
        people: dict[str, Any], content: dict[str, Any]) -> None:
    observer = client_for(people["observer"])
    urls = _resilience_urls(content)
    assert len(urls) >= 40
    reached = {}
    for url in urls:
        for method in ("get", "post"):
            response = getattr(observer, method)(url)
            reached[(method, url)] = response.status_code
            assert SECRET not in _text(response), (method, url)
            assert response.status_code in (200, 302, 404, 405), (method, url)
    open_pages = {url for (method, url), code in reached.items()
                  if method == "get" and code == 200}
    # What the observer may open: the hub and the aggregates.
    assert all(u == "/resilience/" or u.startswith("/resilience/strategic/")
               for u in open_pages), open_pages
    assert f"/resilience/strategic/{content['period'].key}/report.pdf" in open_pages
    assert observer.get(content["report"].get_absolute_url()).status_code == 404
    # A colleague who may see everything does find SECRET: the walk can fail.
    insider = client_for(people["vnog"])
    assert SECRET in _text(insider.get(f"/resilience/nis2/{content['incident'].pk}/"))


def test_the_observer_never_reaches_contents_through_the_api(
        people: dict[str, Any], content: dict[str, Any]) -> None:
    from vrisac.api.main import api

    client = api_client(people["observer"])
    incident = content["incident"]
    paths = set()
    for path in api.get_openapi_schema()["paths"]:
        if path.startswith("/api/v1/nis2") or path.startswith("/api/v1/resilience"):
            paths.add(path)
    assert {"/api/v1/nis2/incidents", "/api/v1/nis2/incidents/{incident_id}",
            "/api/v1/resilience/strategic"} <= paths
    for path in sorted(paths):
        url = path.replace("{incident_id}", str(incident.pk)).replace(
            "{stage_id}", str(content["stage"].pk))
        for method in ("get", "post"):
            response = getattr(client, method)(url, content_type="application/json") \
                if method == "post" else client.get(url)
            assert SECRET not in response.content.decode(), (method, url)
            assert response.status_code in (200, 403, 404, 405, 422), (method, url)
    strategic_answer = client.get("/api/v1/resilience/strategic").json()
    assert strategic_answer["maturity"]["a"][-1]["median"] == 3.0
    assert client.get(f"/api/v1/nis2/incidents/{incident.pk}").status_code == 404
    assert client.get("/api/v1/nis2/incidents").json() == []


def test_strategic_picture_counts_but_never_names(people: dict[str, Any],
                                                  content: dict[str, Any]) -> None:
    picture = strategic.strategic_picture(content["period"], warnings=WARNING_STATS)
    now = timezone.localtime()
    month = strategic.months_until(content["period"]).index((now.year, now.month))
    assert picture.reports["incident"][month] == 1 and picture.reports["advice"][month] == 1
    assert sum(picture.reports["threat"]) == 0
    assert picture.respondents == 7
    assert picture.nis2.incidents == 1 and picture.nis2.on_time == 1
    html = client_for(people["observer"]).get("/resilience/strategic/").content.decode()
    for name in ("Utrecht", "Gelderland", "Haaglanden", "Twente", "Zeeland", SECRET):
        assert name not in html
    assert client_for(people["utrecht"]).get("/resilience/strategic/").status_code == 404
    assert client_for(people["coordinator"]).get("/resilience/strategic/").status_code == 200


def test_warnings_section_renders_the_documented_dict() -> None:
    from django.utils import translation

    with translation.override("en"):
        section = strategic.warnings_section(WARNING_STATS)
    assert section.available
    assert section.by_priority == [("kritiek", 2), ("hoog", 7), ("middel", 12), ("laag", 3)]
    assert dict(section.by_state)["acknowledged"] == 9
    assert section.open_kritiek == 2
    assert section.median_to_acknowledge in ("1 h 30 min", "1 u 30 min")
    # Each month's bars add up to its new warnings: kritiek and the rest.
    assert section.monthly == {"kritiek": [1, 1], "other priorities": [3, 16]}
    assert len(section.months) == 2
    assert not strategic.warnings_section(None).available
    odd = strategic.warnings_section({"open_kritiek": "x"})
    assert odd.monthly == {} and odd.open_kritiek is None


def test_warnings_section_on_the_page_and_in_the_quarterly_pdf(
        people: dict[str, Any], content: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.setattr(strategic, "warning_statistics", lambda: WARNING_STATS)
    client = client_for(people["observer"])
    html = client.get("/resilience/strategic/").content.decode()
    section = html.split('id="h-warnings"')[1].split("</section>")[0]
    assert re.search(r"class=\"stat\">2<", section) and "kritiek" in section
    assert "Veiligheidsregio Utrecht" not in html
    key = content["period"].key
    svg = client.get(f"/resilience/strategic/{key}/warnings.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<script" not in svg.content
    pdf = client.get(f"/resilience/strategic/{key}/report.pdf")
    text = _text(pdf)
    assert "TLP:AMBER" in text and "Digitale weerbaarheid" in text
    assert "kritiek: 2" in text and SECRET not in text and "Utrecht" not in text


def test_real_warnings_reach_the_picture_as_counts_only(people: dict[str, Any],
                                                        content: dict[str, Any],
                                                        tmp_path: Any) -> None:
    from vrisac.alerts.models import Warning
    from vrisac.alerts.tests.helpers import add_item, import_and_match, nvd_cve, nvd_page

    add_item(people["utrecht"], vendor="Cisco", product="IOS", version="12.2(55)SE3",
             internet_facing=True, criticality="high")
    import_and_match("nvd", [nvd_page(tmp_path, [nvd_cve(
        "CVE-2018-0171",
        [{"vulnerable": True, "criteria": "cpe:2.3:o:cisco:ios:*:*:*:*:*:*:*:*",
          "versionEndExcluding": "12.2(55)SE12"}],
        vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")])])
    warning = Warning.objects.get()
    html = client_for(people["observer"]).get("/resilience/strategic/").content.decode()
    section = html.split('id="h-warnings"')[1].split("</section>")[0]
    assert "niet beschikbaar" not in section and "not available" not in section
    assert warning.priority in section
    assert "Utrecht" not in section and "Cisco" not in section and "CVE-2018-0171" not in html


def test_quarterly_report_command_writes_the_pdf(tmp_path: Any, content: dict[str, Any]
                                                 ) -> None:
    from django.core.management import call_command

    target = tmp_path / "kwartaal.pdf"
    call_command("quarterly_report", period=content["period"].key, output=str(target))
    reader = PdfReader(str(target))
    assert len(reader.pages) >= 2
    assert "Significante" in reader.pages[-1].extract_text() or len(reader.pages) >= 2
