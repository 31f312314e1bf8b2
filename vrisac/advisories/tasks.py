"""The import jobs. The scheduled job (no ``locations``: the configured URLs) and the
commands (``vrisac import_csaf PATH...``) run the same function: import, then re-match what
changed, then return the report."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from vrisac.core.jobs import JobContext, job

from .services import import_sources

#: The setting that holds each kind's URLs; a feature stays off while it is empty.
URL_SETTINGS = {
    "csaf": "VRISAC_CSAF_PROVIDER_URLS",
    "nvd": "VRISAC_NVD_URLS",
    "cve5": "VRISAC_CVE5_URLS",
    "kev": "VRISAC_KEV_URLS",
    "epss": "VRISAC_EPSS_URLS",
}
#: More changed vulnerabilities than this: match every inventory item instead (cheaper).
FULL_REMATCH_ABOVE = 5000


def configured(kind: str) -> list[str]:
    return list(getattr(settings, URL_SETTINGS[kind], []) or [])


def run_import(ctx: JobContext, kind: str, locations: list[str] | None = None
               ) -> dict[str, Any]:
    from vrisac.alerts.models import Warning
    from vrisac.alerts.services import rematch_all, rematch_vulnerabilities, reprioritise

    if not locations:
        locations = configured(kind)
        if not locations:
            ctx.log(f"off: {URL_SETTINGS[kind]} is not set")
            return {"source": kind, "off": True}
    ctx.set_total(None)
    report = import_sources(kind, locations, progress=ctx.advance, log=ctx.log)
    for skipped in report.skipped[:500]:
        ctx.log(f"skipped {skipped}")
    for ignored in report.ignored[:100]:
        ctx.log(f"ignored {ignored}")
    ctx.log(f"{kind}: {report.read} read, {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.skipped)} skipped")
    changed = report.changed_vulnerabilities
    if kind == "epss":
        # EPSS changes priorities, never matches: only the warnings of changed scores.
        with_warnings = set(Warning.objects.filter(withdrawn_at__isnull=True)
                            .values_list("vulnerability_id", flat=True).distinct())
        changed = changed & with_warnings
        ctx.log(f"re-prioritising the warnings of {len(changed)} vulnerabilities")
        stats = reprioritise(changed, progress=ctx.advance)
    elif len(changed) > FULL_REMATCH_ABOVE:
        ctx.log(f"re-matching every inventory item ({len(changed)} vulnerabilities changed)")
        stats = rematch_all(progress=ctx.advance)
    else:
        ctx.log(f"re-matching {len(changed)} changed vulnerabilities")
        stats = rematch_vulnerabilities(changed, progress=ctx.advance)
    ctx.log(f"warnings: {stats['created']} new, {stats['updated']} updated, "
            f"{stats['withdrawn']} withdrawn")
    result = report.as_dict()
    result["rematch"] = stats
    return result


@job("advisories.import_csaf", queue="imports",
     description="Import CSAF advisories (files, directories, provider-metadata.json, ROLIE "
                 "feeds; without locations: VRISAC_CSAF_PROVIDER_URLS) and re-match.")
def import_csaf(ctx: JobContext, locations: list[str] | None = None) -> dict[str, Any]:
    return run_import(ctx, "csaf", locations)


@job("advisories.import_nvd", queue="imports",
     description="Import NVD CVE API 2.0 data (without locations: VRISAC_NVD_URLS) and re-match.")
def import_nvd(ctx: JobContext, locations: list[str] | None = None) -> dict[str, Any]:
    return run_import(ctx, "nvd", locations)


@job("advisories.import_cve5", queue="imports",
     description="Import CVE JSON 5 records (without locations: VRISAC_CVE5_URLS) and re-match.")
def import_cve5(ctx: JobContext, locations: list[str] | None = None) -> dict[str, Any]:
    return run_import(ctx, "cve5", locations)


@job("advisories.import_kev", queue="imports",
     description="Import the CISA KEV catalogue (without locations: VRISAC_KEV_URLS) and "
                 "re-match.")
def import_kev(ctx: JobContext, locations: list[str] | None = None) -> dict[str, Any]:
    return run_import(ctx, "kev", locations)


@job("advisories.import_epss", queue="imports",
     description="Import FIRST EPSS scores (without locations: VRISAC_EPSS_URLS) and "
                 "re-prioritise.")
def import_epss(ctx: JobContext, locations: list[str] | None = None) -> dict[str, Any]:
    return run_import(ctx, "epss", locations)
