"""Demo warnings: real public advisories and vulnerabilities (the app's samples and Citrix
Bleed) matched against inventories of the demo regions, through the services, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vrisac.advisories.services import import_sources
from vrisac.assets.models import InventoryItem
from vrisac.assets.services import item_create
from vrisac.core.demo import DemoContext, demo_step
from vrisac.organisations.models import Organisation

from .models import Warning
from .services import rematch_all, warning_set_status

DATA = Path(__file__).resolve().parent.parent / "advisories" / "data"
SAMPLES = DATA / "samples"
NETSCALER = "cpe:2.3:a:citrix:netscaler_application_delivery_controller:{}:*:*:*:*:*:*:*"

#: region key (demo person) -> items (vendor, product, version, extra fields)
INVENTORIES: dict[str, list[tuple[str, str, str, dict[str, Any]]]] = {
    "utrecht": [
        ("Citrix", "NetScaler ADC", "13.1-49.13",
         {"cpe": NETSCALER.format("13.1-49.13"), "internet_facing": True,
          "criticality": "high", "owner": "Team Netwerk", "notes": "Thuiswerk-gateway"}),
        ("Apache", "HTTP Server", "2.4.49", {"internet_facing": True, "criticality": "medium",
                                             "owner": "Webbeheer"}),
        ("Cisco", "IOS", "12.2(55)SE3", {"criticality": "high",
                                         "notes": "Switches meldkamer"}),
        ("netty", "netty", "4.1.100.Final",
         {"purl": "pkg:maven/io.netty/netty-codec-http@4.1.100.Final", "criticality": "medium",
          "notes": "In de koppeling met het GMS"}),
        ("CSAF Tools", "CVRF-CSAF-Converter", "1.0.0-rc1", {"criticality": "low"}),
        ("Example Company", "ABC", "4.2", {"criticality": "low"}),
        ("Microsoft", "Exchange Server", "15.2.1544.4", {"criticality": "high"}),
    ],
    "haaglanden": [
        ("Citrix", "NetScaler ADC", "14.1-4.42",
         {"cpe": NETSCALER.format("14.1-4.42"), "internet_facing": True,
          "criticality": "high"}),
        ("Apache", "Struts", "2.5.30", {"criticality": "medium"}),
        ("Adobe", "ColdFusion", "2018 Update 5", {"internet_facing": True,
                                                  "criticality": "medium"}),
    ],
    "vnog": [
        ("Apache", "Solr", "8.2.0", {"criticality": "medium"}),
        ("Themeisle", "WP Maintenance Mode & Coming Soon", "2.4.4",
         {"cpe": "cpe:2.3:a:themeisle:wp_maintenance_mode_\\&_coming_soon:2.4.4:*:*:*:*:"
                 "wordpress:*:*", "internet_facing": True, "criticality": "low"}),
        ("Citrix", "NetScaler ADC", "13.1-49.15",
         {"cpe": NETSCALER.format("13.1-49.15"), "internet_facing": True,
          "criticality": "high"}),
    ],
    "rotterdam": [
        ("Citrix", "NetScaler ADC", "13.0-92.18",
         {"cpe": NETSCALER.format("13.0-92.18"), "internet_facing": True,
          "criticality": "high"}),
        ("Accellion", "FTA", "9_12_370", {"internet_facing": True, "criticality": "low",
                                          "notes": "Wordt uitgefaseerd"}),
    ],
}


@demo_step(order=40)
def warnings(ctx: DemoContext) -> None:
    reports = [
        import_sources("kev", [str(SAMPLES / "kev-sample-25.json"),
                               str(DATA / "demo" / "kev-citrix-bleed.json")]),
        import_sources("nvd", [str(SAMPLES / "nvd-api2-single-entry.json"),
                               str(DATA / "demo" / "nvd-citrix-bleed.json")]),
        import_sources("cve5", [str(SAMPLES / "trustify-CVE-2024-29025.json"),
                                str(SAMPLES / "trustify-CVE-1999-0001.json")]),
        import_sources("epss", [str(SAMPLES / "epss-sample.csv")]),
        import_sources("csaf", [str(p) for p in sorted(SAMPLES.glob("oasis-*.json"))
                                if "provider-metadata" not in p.name]),
    ]
    added = 0
    for key, items in INVENTORIES.items():
        user = ctx.people[key]
        organisation = Organisation.objects.get(memberships__user=user,
                                                memberships__status="active")
        for vendor, product, version, extra in items:
            if InventoryItem.objects.filter(organisation=organisation, vendor=vendor,
                                            product=product, version=version).exists():
                continue
            item_create(organisation=organisation, acting_user=user, vendor=vendor,
                        product=product, version=version, **extra)
            added += 1
    stats = rematch_all()
    struts = Warning.objects.filter(item__product="Struts", status="new").first()
    if struts is not None:
        warning_set_status(warning=struts, status="acknowledged", acting_user=ctx.people[
            "haaglanden"])
    ctx.log(f"demo warnings: {sum(r.created for r in reports)} vulnerability records and "
            f"advisories new, {added} inventory items new, {stats['created']} warnings new")
