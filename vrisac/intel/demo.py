"""Demo indicators: on the demo reports (so that correlations of every kind show up, and the
policy visibly hides some of them), a small feed, and a few sightings. Idempotent."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from django.db import transaction

from vrisac.core.demo import DemoContext, demo_step

from .feeds import feed_dir, feed_import, feed_save
from .models import Feed, Indicator, Sighting
from .services import report_indicators_add, sighting_add

_FILE = "svc-locker.exe"
_MD5 = hashlib.md5(b"vr-isac demo locker", usedforsecurity=False).hexdigest()
_SHA1 = hashlib.sha1(b"vr-isac demo locker", usedforsecurity=False).hexdigest()
_SHA256 = hashlib.sha256(b"vr-isac demo locker").hexdigest()


def i(type_: str, value: str, comment: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": type_, "value": value, "comment": comment, **extra}


#: report key (vrisac/reports/demo.py) -> indicators
INDICATORS: dict[str, list[dict[str, Any]]] = {
    "ransomware": [
        i("ipv4", "185.220.101.47", "command and control"),
        i("domain", "vdi-update-service.com", "download of the locker"),
        i("url", "hxxps://cdn.vdi-update-service[.]com/patch/kb5034441.exe"),
        i("filename", _FILE, file="locker"),
        i("md5", _MD5, file="locker"), i("sha1", _SHA1, file="locker"),
        i("sha256", _SHA256, file="locker"),
        i("regkey", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\svclocker"),
        i("ipv4", "8.8.8.8", "DNS checks by the locker before encrypting"),
    ],
    "phishing": [
        i("domain", "rooster-portaal.com", "look-alike of the rostering package"),
        i("url", "https://login.rooster-portaal.com/meldkamer/auth", "AitM login page"),
        i("email", "roosterwijziging@rooster-portaal.com", "sender"),
        i("ipv4", "45.137.21.9"),
    ],
    "citrix": [
        i("cve", "CVE-2023-4966"),
    ],
    "ivanti-warning": [
        i("cve", "CVE-2023-46805"), i("cve", "CVE-2024-21887"),
        i("url", "https://vpn-check.rooster-portaal.com/dana-na/auth/url_default/welcome.cgi",
          "seen in the exploitation chain"),
        i("ipv4", "185.220.101.47"),
    ],
    "gms-red": [
        i("ipv4", "185.220.101.47", "the service account logged in from here"),
    ],
    "regional-threat": [
        i("cidr", "185.220.101.0/24", "the net block that scanned the portals"),
        i("user_agent", "Mozilla/5.0 (compatible; PortalScan/2.3)"),
    ],
    "anonymous": [
        i("ipv4", "185.220.101.47", "VPN login of the old account"),
    ],
    "draft": [
        i("sha256", _SHA256, "the same file, to be verified"),
    ],
}


@demo_step(order=30)
@transaction.atomic
def indicators(ctx: DemoContext) -> None:
    reports = ctx.objects.get("reports", {})
    added = 0
    for key, items in INDICATORS.items():
        report = reports.get(key)
        if report is None or report.status == "retracted":
            continue
        if Indicator.objects.filter(report=report).exists():
            continue
        added += report_indicators_add(report=report, acting_user=report.author,
                                       items=items).added
    ctx.log(f"demo indicators: {added} new")
    _feed(ctx)
    _sightings(ctx)


def _feed(ctx: DemoContext) -> None:
    coordinator = ctx.people.get("coordinator")
    if coordinator is None:
        return
    target = feed_dir() / "demo-blocklist.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        shutil.copyfile(Path(__file__).parent / "data" / "demo-blocklist.txt", target)
    feed = Feed.objects.filter(name="demo-blocklist").first()
    if feed is None:
        feed = feed_save(acting_user=coordinator, name="demo-blocklist",
                         title="Demo blocklist", path=str(target), format="text",
                         tlp="TLP:GREEN", audience="participants",
                         description="A small demo feed of scanners and phishing hosts.")
    result = feed_import(feed=feed, acting_user=coordinator)
    ctx.log(f"demo feed: {result.status}, {result.added} new")


def _sightings(ctx: DemoContext) -> None:
    plan = [("utrecht", "185.220.101.47", "seen", "firewall", True),
            ("haaglanden", "185.220.101.47", "seen", "VPN logs", False),
            ("vnog", "8.8.8.8", "false_positive", "", True)]
    for who, value, kind, source, named in plan:
        person = ctx.people.get(who)
        if person is None or Sighting.objects.filter(user=person, value__value=value).exists():
            continue
        sighting_add(acting_user=person, kind=kind, value=value, source=source, named=named)
