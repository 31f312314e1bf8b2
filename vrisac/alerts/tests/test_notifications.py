"""New warnings reach the organisation's people: in the platform always, by e-mail at once
for kritiek, in the daily digest for the rest, or not at all, as each chose; through a real
SMTP server, and never with TLP:AMBER or TLP:RED content in the mail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from vrisac.alerts.models import Warning
from vrisac.alerts.services import preference_set
from vrisac.core.testing import client_for
from vrisac.notifications.models import Notification
from vrisac.notifications.services import send_digests

from .helpers import SAMPLES, add_item, import_and_match

pytestmark = [pytest.mark.django_db, pytest.mark.smtp]


def _bodies(smtp_server: Any) -> list[tuple[str, str, str]]:
    return [(m["To"], m["Subject"], m.get_payload(decode=True).decode())
            for m in smtp_server.messages]


def test_kritiek_at_once_rest_in_digest_or_none(people: dict[str, Any], smtp_server: Any,
                                                django_capture_on_commit_callbacks: Any) -> None:
    pieter, fatima = people["utrecht"], people["utrecht2"]
    preference_set(user=fatima, mode="none")
    add_item(pieter, vendor="Apache", product="HTTP Server", version="2.4.49",
             internet_facing=True)                      # KEV + internet-facing: kritiek
    add_item(pieter, vendor="Apache", product="Solr", version="8.2.0")   # KEV, internal
    add_item(people["haaglanden"], vendor="Apache", product="Shiro", version="1.2.4")
    with django_capture_on_commit_callbacks(execute=True):
        import_and_match("kev", [SAMPLES / "kev-sample-25.json"])
    kritiek = Warning.objects.filter(priority="kritiek", organisation__slug="utrecht")
    assert kritiek.count() == 3  # the three Apache HTTP Server CVEs
    mine = Notification.objects.filter(recipient=pieter)
    assert mine.filter(email_state="sent").count() == 3
    assert mine.filter(email_state="digest").count() == 1  # Solr
    assert Notification.objects.filter(recipient=fatima, email_state="skipped").count() == 4
    # Nobody outside Utrecht hears of Utrecht's warnings.
    assert not Notification.objects.filter(
        recipient=people["haaglanden"], warning__organisation__slug="utrecht").exists()
    sent = _bodies(smtp_server)
    assert len(sent) == 3 and all(to == pieter.email for to, _s, _b in sent)
    assert any("CVE-2021-41773: Apache HTTP Server 2.4.49" in body for _t, _s, body in sent)
    with django_capture_on_commit_callbacks(execute=True):
        result = send_digests()
    assert result["items"] >= 1
    digest = [b for to, _s, b in _bodies(smtp_server)[3:] if to == pieter.email]
    assert digest and "Apache Solr 8.2.0" in digest[0]
    # In the platform: the inbox lists them, and only to whom may see them.
    inbox = client_for(pieter).get(reverse("notifications:list")).content.decode()
    assert "CVE-2021-41773" in inbox


def test_amber_advisory_warnings_carry_no_content_by_email(people: dict[str, Any],
                                                           smtp_server: Any, tmp_path: Path,
                                                           django_capture_on_commit_callbacks: Any
                                                           ) -> None:
    document = json.loads((SAMPLES / "oasis-example-bsi-2022-0001.json").read_text())
    document["document"]["distribution"]["tlp"]["label"] = "AMBER"
    document["document"]["aggregate_severity"]["text"] = "Critical"
    path = tmp_path / "amber.json"
    path.write_text(json.dumps(document))
    add_item(people["utrecht"], vendor="CSAF Tools", product="CVRF-CSAF-Converter",
             version="1.0.0-rc1", internet_facing=True, criticality="high")
    with django_capture_on_commit_callbacks(execute=True):
        import_and_match("csaf", [path])
    warning = Warning.objects.get()
    assert warning.tlp == "TLP:AMBER"
    messages = [m for m in smtp_server.messages if m["To"] == people["utrecht"].email]
    if warning.priority != "kritiek":
        with django_capture_on_commit_callbacks(execute=True):
            send_digests()
        messages = [m for m in smtp_server.messages if m["To"] == people["utrecht"].email]
    assert messages
    body = messages[-1].get_payload(decode=True).decode()
    assert "TLP:AMBER" in body and "/warnings/" in body
    assert "CVE-2022-27193" not in body and "CVRF-CSAF-Converter" not in body
