"""Fixtures of the resilience tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from vrisac.core.testing import make_person, make_report


@pytest.fixture
def incident_report(people: dict[str, Any]) -> Any:
    """An incident of Noord- en Oost-Gelderland shared with all participants."""
    return make_report(people["vnog"], kind="incident", title="Ransomware op de fileservers",
                       summary="Versleuteling van de kantoorzone.", body="Geheime details XYZ",
                       tlp="TLP:AMBER", audience="participants")


@pytest.fixture
def tracked(incident_report: Any, people: dict[str, Any]) -> Any:
    from vrisac.resilience.services import nis2_start

    return nis2_start(report=incident_report, acting_user=people["vnog"],
                      aware_at=timezone.now() - timedelta(hours=2))


@pytest.fixture
def six_regions(people: dict[str, Any]) -> list[Any]:
    """Participants of six assessing organisations, the sharing policy's minimum group
    (utrecht, haaglanden, vnog, nipv, rotterdam-rijnmond and twente), and a seventh (zeeland)
    for the cases around it."""
    return [people["utrecht"], people["haaglanden"], people["vnog"], people["coordinator"],
            make_person("participant", "rotterdam-rijnmond"),
            make_person("participant", "twente"),
            make_person("participant", "zeeland")]
