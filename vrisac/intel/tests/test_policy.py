"""Indicators follow their report's visibility exactly: the policy's filter applied through
the report (``Visible(Report, viewer, via="report")``) says what ``can_view`` says."""

from __future__ import annotations

from typing import Any

import pytest

from vrisac.core.testing import make_report
from vrisac.intel.models import Indicator
from vrisac.organisations.models import Organisation
from vrisac.reports.services import report_retract
from vrisac.sharing.policy import can_view

pytestmark = pytest.mark.django_db


def test_indicator_visibility_equals_report_visibility(people: dict) -> None:
    ind = [{"type": "domain", "value": "same.rooster-portaal.com"}]
    haaglanden = Organisation.objects.get(slug="haaglanden")
    reports = [
        make_report(people["vnog"], indicators=ind),
        make_report(people["vnog"], audience="partners", tlp="TLP:GREEN", indicators=ind),
        make_report(people["vnog"], audience="public", tlp="TLP:CLEAR", indicators=ind),
        make_report(people["vnog"], audience="organisation", tlp="TLP:AMBER+STRICT",
                    indicators=ind),
        make_report(people["vnog"], audience="organisations", audience_organisations=[
            haaglanden], indicators=ind),
        make_report(people["utrecht"], audience="people", tlp="TLP:RED",
                    audience_people=[people["utrecht2"]], indicators=ind),
        make_report(people["vnog"], publish=False, indicators=ind),
        make_report(people["haaglanden"], anonymous=True, indicators=ind),
    ]
    report_retract(report=reports[0], acting_user=people["vnog"], reason="test")
    for key, user in people.items():
        seen = set(Indicator.objects.visible_to(user).values_list("report_id", flat=True))
        expected = {r.pk for r in reports if can_view(user, r)}
        assert seen == expected, key
    anonymous: Any = None
    assert set(Indicator.objects.visible_to(anonymous).values_list("report_id", flat=True)) == {
        reports[2].pk}
