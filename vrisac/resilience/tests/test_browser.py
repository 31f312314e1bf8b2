"""The resilience pages in headless Chromium: they render, the charts load as images under the
Content-Security-Policy, and no script error or policy violation is reported."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from vrisac.core.testing import browser_sign_in
from vrisac.resilience import services
from vrisac.resilience.periods import Period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _visit(page: Any, path: str, shot: Path) -> None:
    response = page.goto(page.base_url + path)
    assert response.status == 200, path
    page.screenshot(path=str(shot), full_page=True)
    for img in page.locator("figure.chart img").all():
        assert img.evaluate("i => i.complete && i.naturalWidth > 0"), img.get_attribute("src")
    assert page.js_errors == [], (path, page.js_errors)


@pytest.fixture
def scene(people: dict[str, Any], six_regions: list[Any],
          incident_report: Any) -> Any:
    period = Period.current()
    for i, user in enumerate(six_regions):
        record = services.assessment_get_or_start(acting_user=user, period=period)
        services.assessment_save(assessment=record, acting_user=user, submit=True,
                                 scores={k: ((i + j) % 6, "") for j, k in
                                         enumerate("abcdefghij")})
    record = services.assessment_get_or_start(acting_user=people["vnog"], period=period)
    services.action_create(assessment=record, acting_user=people["vnog"], measure_key="c",
                           title="Papieren draaiboek", owner="CISO")
    incident = services.nis2_start(report=incident_report, acting_user=people["vnog"],
                                   aware_at=timezone.now() - timedelta(hours=30))
    picture = services.picture_start(report=incident_report, acting_user=people["coordinator"])
    services.picture_add_update(picture=picture, acting_user=people["vnog"],
                                known="Versleuteling van fileservers",
                                fallback="Meldkamer op de gescheiden zone")
    services.picture_set_summary(picture=picture, acting_user=people["coordinator"],
                                 state="contained", summary="Ingedamd; herstel loopt.")
    return {"period": period, "incident": incident, "report": incident_report}


def test_participant_pages(page: Any, people: dict[str, Any], scene: Any,
                           screenshot_dir: Path) -> None:
    browser_sign_in(page.context, page.base_url, people["vnog"])
    key = scene["period"].key
    _visit(page, "/resilience/", screenshot_dir / "resilience-index.png")
    _visit(page, f"/resilience/assessment/{key}/", screenshot_dir / "resilience-assessment.png")
    _visit(page, "/resilience/benchmark/", screenshot_dir / "resilience-benchmark.png")
    assert page.locator("table.data strong").count() == 10  # ten medians: seven answered
    _visit(page, f"/resilience/nis2/{scene['incident'].pk}/",
           screenshot_dir / "resilience-nis2.png")
    assert page.locator(".nis2-overdue").count() == 1
    _visit(page, f"/resilience/incidents/{scene['report'].pk}/",
           screenshot_dir / "resilience-picture.png")
    _visit(page, f"/reports/{scene['report'].pk}/", screenshot_dir / "resilience-report.png")
    page.get_by_role("link", name="NIS2-melding").click()
    page.wait_for_url("**/resilience/nis2/**")


def test_observer_strategic_picture(page: Any, people: dict[str, Any], scene: Any,
                                    screenshot_dir: Path) -> None:
    browser_sign_in(page.context, page.base_url, people["observer"])
    _visit(page, "/resilience/", screenshot_dir / "resilience-observer-index.png")
    _visit(page, "/resilience/strategic/", screenshot_dir / "resilience-strategic.png")
    assert page.get_by_role("heading", name="Strategisch beeld", exact=False).count() >= 1
    assert "Ransomware" not in page.content()


def test_meeting_and_question_pages(page: Any, people: dict[str, Any],
                                    screenshot_dir: Path) -> None:
    coordinator = people["coordinator"]
    meeting = services.meeting_create(author=coordinator, title="Kwartaaloverleg",
                                      starts_at=timezone.now(), agenda="1. Opening")
    services.attendance_record(meeting=meeting, acting_user=coordinator,
                               entries={people["utrecht"].pk: "present"})
    services.minutes_item_add(meeting=meeting, acting_user=coordinator, heading="Rood punt",
                              tlp="TLP:RED")
    services.minutes_publish(meeting=meeting, acting_user=coordinator)
    services.rfi_create(author=people["haaglanden"], title="Heeft iemand dit gezien?",
                        anonymous=True)
    browser_sign_in(page.context, page.base_url, people["utrecht"])
    _visit(page, f"/resilience/meetings/{meeting.pk}/", screenshot_dir / "resilience-meeting.png")
    assert page.get_by_text("Rood punt").count() == 1
    _visit(page, "/resilience/questions/", screenshot_dir / "resilience-questions.png")
    assert page.get_by_text("een VR-ISAC-deelnemer").count() == 1


def test_a_correction_is_asked_for_and_accepted_in_the_browser(
        page: Any, people: dict[str, Any], screenshot_dir: Path) -> None:
    participant, period = people["vnog"], Period.current()
    record = services.assessment_get_or_start(acting_user=participant, period=period)
    services.assessment_save(assessment=record, acting_user=participant, submit=True,
                             scores={k: (2, "") for k in "abcdefghij"})
    browser_sign_in(page.context, page.base_url, participant)
    _visit(page, f"/resilience/assessment/{period.key}/",
           screenshot_dir / "resilience-assessment-submitted.png")
    page.get_by_label("Volwassenheid van maatregel a").select_option("4")
    page.get_by_role("button", name="Onderbouwing opslaan").click()
    page.get_by_text("ingediende scores liggen vast voor het kwartaal").wait_for()
    page.get_by_label("Volwassenheid van maatregel a").select_option("4")
    page.get_by_label("Reden voor de correctie").fill("Beleid in oktober vastgesteld.")
    page.get_by_role("button", name="Correctie aanvragen").click()
    page.get_by_text("wacht op een ISAC-coördinator").wait_for()
    assert page.locator("#correction .measure-key").all_inner_texts() == ["A"]
    page.screenshot(path=str(screenshot_dir / "resilience-correction-pending.png"),
                    full_page=True)
    assert record.scores.get(measure__key="a").level == 2

    page.context.clear_cookies()
    browser_sign_in(page.context, page.base_url, people["coordinator"])
    _visit(page, "/resilience/corrections/", screenshot_dir / "resilience-corrections.png")
    assert page.get_by_text("Beleid in oktober vastgesteld.").is_visible()
    page.get_by_role("button", name="Accepteren").click()
    page.get_by_text("De correctie is geaccepteerd").wait_for()
    assert page.js_errors == []
    assert record.scores.get(measure__key="a").level == 4
