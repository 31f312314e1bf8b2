"""The demo data shows correlations of every kind, through the policy, and loads twice the
same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vrisac.core.demo import load_demo
from vrisac.intel import selectors
from vrisac.intel.correlation import correlate
from vrisac.intel.models import Feed, Indicator

pytestmark = pytest.mark.django_db


def test_demo_indicators_correlate_and_load_idempotently(settings: Any, tmp_path: Path) -> None:
    settings.VRISAC_FEED_DIR = tmp_path / "feeds"
    ctx = load_demo()
    count = Indicator.objects.count()
    assert count > 20 and Feed.objects.filter(name="demo-blocklist").exists()
    load_demo()
    assert Indicator.objects.count() == count
    reports = ctx.objects["reports"]
    ransomware = reports["ransomware"]
    haaglanden = ctx.people["haaglanden"]
    rows = list(selectors.report_indicators(user=haaglanden, report=ransomware))
    found = correlate(user=haaglanden, indicators=rows)
    kinds = {link.kind for item in found.values() for link in item.links}
    assert {"exact", "cidr", "domain"} <= kinds
    linked = {link.indicator.report_id for item in found.values() for link in item.links}
    # The TLP:RED report is for its named people only; Haaglanden is not one of them.
    assert reports["gms-red"].pk not in linked
    assert reports["anonymous"].pk in linked
    utrecht = ctx.people["utrecht"]
    rows = list(selectors.report_indicators(user=utrecht, report=ransomware))
    linked = {link.indicator.report_id for item in correlate(user=utrecht, indicators=rows)
              .values() for link in item.links}
    assert reports["gms-red"].pk in linked
