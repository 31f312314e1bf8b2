"""Writes on advisories and vulnerability data: the imports (each a job, see ``tasks.py``)
and the alias table. The imports write in batches of their own (see ``importers.common``)
and record one audit row per file."""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed
from vrisac.core.http import FetchError
from vrisac.sharing.policy import viewer_for

from .importers import csaf, cve5, epss, kev, nvd, sources
from .importers.common import FileError, ImportReport
from .models import FeedState, ProductAlias
from .normalise import Aliases, normalise_vendor

KINDS = ("csaf", "nvd", "cve5", "kev", "epss")
_SUFFIXES = {"csaf": (".json",), "nvd": (".json", ".json.gz"), "cve5": (".json", ".zip"),
             "kev": (".json",), "epss": (".csv", ".csv.gz", ".gz")}

Progress = Callable[[int], None]


def _audit(report: ImportReport, file: str, before: tuple[int, int, int]) -> None:
    """One audit row per location given (a file, a directory, a URL), not per record."""
    created, updated, skipped = before
    with transaction.atomic():
        audit_record(action=f"advisories.import.{report.source}", actor_label="importer",
                     object_type="file", object_id=file[-64:],
                     details={"file": file[-500:], "created": report.created - created,
                              "updated": report.updated - updated,
                              "skipped": len(report.skipped) - skipped})


def _stream_import(kind: str, fp: Any, name: str, report: ImportReport, aliases: Aliases,
                   progress: Progress | None) -> None:
    if kind == "nvd":
        nvd.import_stream(fp, name, report, aliases, progress)
    elif kind == "cve5":
        cve5.import_stream(fp, name, report, aliases, progress)
    elif kind == "kev":
        kev.import_stream(fp, name, report, aliases, progress)
    elif kind == "epss":
        epss.import_stream(fp, name, report, progress)
    else:  # pragma: no cover - guarded by KINDS
        raise ValueError(kind)


def import_sources(kind: str, locations: Sequence[str], *, progress: Progress | None = None,
                   log: Callable[[str], None] | None = None) -> ImportReport:
    """Import files, directories or URLs of one kind; every file is read to its end (or to
    the first point where it is unreadable) and what was skipped is in the report."""
    if kind not in KINDS:
        raise DomainError(_("Unknown kind of import: %(k)s") % {"k": kind})
    report = ImportReport(source=kind)
    aliases = Aliases.load()
    for location in locations:
        if sources.is_url(location):
            _import_url(kind, location, report, aliases, progress, log)
            continue
        path = Path(location)
        if not path.exists():
            report.skip(location, "(file)", "(path)", "does not exist")
            continue
        before = (report.created, report.updated, len(report.skipped))
        for file in sources.local_files(path, _SUFFIXES[kind]):
            report.files += 1
            if log:
                log(f"reading {file}")
            try:
                if kind == "csaf":
                    csaf.import_path(file, report, aliases)
                    if progress:
                        progress(1)
                else:
                    from .importers.common import open_path

                    if kind == "cve5" and file.name.lower().endswith(".zip"):
                        cve5.import_zip(file, report, aliases, progress)
                    else:
                        with open_path(file, kind) as fp:
                            _stream_import(kind, fp, str(file), report, aliases, progress)
            except FileError as exc:
                report.skip(str(file), "(file)", "(file)", str(exc))
            except OSError as exc:
                report.skip(str(file), "(file)", "(file)", f"cannot be read: {exc.strerror}")
        _audit(report, location, before)
    return report


def _import_url(kind: str, url: str, report: ImportReport, aliases: Aliases,
                progress: Progress | None, log: Callable[[str], None] | None) -> None:
    state, _created = FeedState.objects.get_or_create(url=url[:1000])
    before = (report.created, report.updated, len(report.skipped))
    started = timezone.now()
    try:
        if kind == "csaf":
            urls, newest = sources.csaf_document_urls(url, report, state.newest_entry)
            if log:
                log(f"{url}: {len(urls)} documents to read")
            for document_url in urls:
                report.files += 1
                try:
                    data = sources.fetch_bytes(document_url, csaf.limit_bytes("csaf"))
                except FetchError as exc:
                    report.read += 1
                    report.skip(document_url, "(document)", "(file)", str(exc))
                    continue
                csaf.import_bytes(data, document_url, report, aliases, source_url=document_url)
                if progress:
                    progress(1)
            state.newest_entry = newest or state.newest_entry
        elif kind == "nvd" and "/rest/json/cves/" in url:
            _import_nvd_api(url, report, aliases, progress, log, state.last_success)
        elif kind == "cve5" and url.lower().split("?")[0].endswith(".zip"):
            report.files += 1
            with tempfile.NamedTemporaryFile(suffix=".zip") as tmp:
                sources.with_url(url, "cve5_zip", lambda fp: shutil.copyfileobj(fp, tmp))
                tmp.flush()
                cve5.import_zip(Path(tmp.name), report, aliases, progress)
        else:
            report.files += 1
            if log:
                log(f"fetching {url}")
            sources.with_url(url, kind, lambda fp: _stream_import(kind, fp, url, report,
                                                                  aliases, progress))
        state.last_success = started
        state.save(update_fields=["last_success", "newest_entry"])
    except (FetchError, FileError, ValueError) as exc:
        report.skip(url, "(feed)", "(url)", str(exc)[:300])
    _audit(report, url, before)


def _nvd_page(fp: Any, *, top: dict[str, Any], name: str, report: ImportReport,
              aliases: Aliases, progress: Progress | None) -> None:
    top.update(nvd.import_stream(fp, name, report, aliases, progress))


def _import_nvd_api(url: str, report: ImportReport, aliases: Aliases,
                    progress: Progress | None, log: Callable[[str], None] | None,
                    since: Any) -> None:
    """The NVD CVE API 2.0, page by page; after the first run only what changed since the
    last successful one (``lastModStartDate``, at most 120 days back as the API allows)."""
    from urllib.parse import urlencode

    now = timezone.now()
    params: dict[str, Any] = {"resultsPerPage": 2000}
    if since is not None:
        start = max(since - timedelta(hours=1), now - timedelta(days=119))
        params["lastModStartDate"] = start.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
        params["lastModEndDate"] = now.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
    headers = {"apiKey": settings.VRISAC_NVD_API_KEY} if getattr(
        settings, "VRISAC_NVD_API_KEY", "") else None
    index = 0
    for _page in range(1000):
        page_url = f"{url}{'&' if '?' in url else '?'}{urlencode({**params, 'startIndex': index})}"
        if log:
            log(f"fetching {page_url}")
        report.files += 1
        top: dict[str, Any] = {}
        sources.with_url(page_url, "nvd", functools.partial(
            _nvd_page, top=top, name=page_url, report=report, aliases=aliases,
            progress=progress), headers=headers)
        per_page = int(top.get("resultsPerPage") or 0)
        total = int(top.get("totalResults") or 0)
        index += per_page
        if per_page == 0 or index >= total:
            break


# --- the alias table ----------------------------------------------------------------------


@transaction.atomic
def alias_add(*, kind: str, alias: str, canonical: str, acting_user: Any) -> ProductAlias:
    """Coordinators extend the alias table; every key is recomputed and re-matched after."""
    if not viewer_for(acting_user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators maintain the alias table."))
    if kind not in ProductAlias.Kind.values:
        raise DomainError(_("Choose vendor or product."), field="kind")
    alias, canonical = (alias or "").strip(), (canonical or "").strip()
    if not alias or not canonical:
        raise DomainError(_("Give both the alias and what it means."), field="alias")
    if len(alias) > 200 or len(canonical) > 200:
        raise DomainError(_("At most 200 characters."), field="alias")
    if normalise_vendor(alias) == normalise_vendor(canonical):
        raise DomainError(_("The alias and its meaning are already the same name."),
                          field="canonical")
    row, _created = ProductAlias.objects.update_or_create(
        kind=kind, alias=alias.lower(), defaults={"canonical": canonical.lower()})
    audit_record(action="advisories.alias.add", actor=acting_user, obj=row,
                 details={"kind": kind, "alias": row.alias, "canonical": row.canonical})
    from vrisac.core.jobs import job_enqueue

    job_enqueue("alerts.rekey", triggered_by=acting_user)
    return row


@transaction.atomic
def alias_remove(*, alias: ProductAlias, acting_user: Any) -> None:
    if not viewer_for(acting_user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators maintain the alias table."))
    audit_record(action="advisories.alias.remove", actor=acting_user, obj=alias,
                 details={"kind": alias.kind, "alias": alias.alias})
    alias.delete()
    from vrisac.core.jobs import job_enqueue

    job_enqueue("alerts.rekey", triggered_by=acting_user)
