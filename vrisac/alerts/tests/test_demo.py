"""The demo shows real warnings, and loading it twice changes nothing."""

from __future__ import annotations

import pytest

from vrisac.advisories.models import Advisory, AffectedProduct, Vulnerability
from vrisac.alerts.models import Warning
from vrisac.assets.models import InventoryItem
from vrisac.core.demo import load_demo

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (Vulnerability.objects.count(), Advisory.objects.count(),
            AffectedProduct.objects.count(), InventoryItem.objects.count(),
            Warning.objects.count())


def test_demo_warnings_are_real_and_idempotent() -> None:
    load_demo()
    first = _counts()
    bleed = Warning.objects.filter(vulnerability__cve_id="CVE-2023-4966",
                                   withdrawn_at__isnull=True)
    versions = sorted(bleed.values_list("item__version", flat=True))
    # 13.1-49.13, 14.1-4.42 and 13.0-92.18 are affected; 13.1-49.15 is the fix.
    assert versions == ["13.0-92.18", "13.1-49.13", "14.1-4.42"]
    assert set(bleed.values_list("priority", flat=True)) == {"kritiek"}
    assert Warning.objects.filter(item__product="HTTP Server", confidence="check").exists()
    assert not Warning.objects.filter(item__product="ABC", withdrawn_at__isnull=True).exists()
    load_demo()
    assert _counts() == first
