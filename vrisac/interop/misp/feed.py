"""The MISP feed of the platform: ``manifest.json``, ``hashes.csv`` and one ``<uuid>.json``
per event, of the reports whose audience includes partners or the public.

Served at ``/misp/feed/`` to a token holder (what the policy lets them see of those
reports) and written to a directory by ``vrisac export_misp_feed DIR`` (what any partner
may see). A retracted report stays in the feed with its attributes marked ``deleted`` and a
newer timestamp, so a consumer that follows timestamps learns of the retraction.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import uuid as uuid_module
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from django.db.models import QuerySet

from vrisac.core.errors import NotFound
from vrisac.reports.models import Report
from vrisac.sharing.policy import Viewer, sees_source, viewer_for

from . import selectors
from .mapping import TAG_COLOUR

BATCH = 500
UUID_FILE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$")

#: What any partner may see: the feed written to a directory holds no more than this viewer
#: is allowed. It is a partner of no organisation and no account (no user has id 0), so
#: only the audiences "partners" and "public" reach it.
ANY_PARTNER = Viewer(user_id=0, roles=frozenset({"partner"}))


@dataclass
class ExportResult:
    events: int = 0
    attributes: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"events": self.events, "attributes": self.attributes, "removed": self.removed}


def feed_events(viewer: Viewer) -> Iterator[dict[str, Any]]:
    """The feed's events, full, batch by batch (memory stays flat)."""
    qs: QuerySet[Report] = selectors.feed_reports(viewer).order_by("pk")
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        yield from selectors.events_json(None, batch,
                                         show_source=lambda r: sees_source(viewer, r))


def manifest_entry(event: dict[str, Any]) -> dict[str, Any]:
    data = event["Event"]
    return {
        "info": data["info"], "date": data["date"], "analysis": data["analysis"],
        "threat_level_id": data["threat_level_id"], "timestamp": data["timestamp"],
        "publish_timestamp": data["publish_timestamp"], "distribution": data["distribution"],
        "Orgc": {"name": data["Orgc"]["name"], "uuid": data["Orgc"]["uuid"]},
        "Tag": [{"name": t["name"], "colour": t.get("colour", TAG_COLOUR)}
                for t in data["Tag"]],
    }


def value_hashes(event: dict[str, Any]) -> Iterator[str]:
    """``hashes.csv`` lines of an event: the MD5 of each value, with the event's uuid."""
    data = event["Event"]
    for attribute in data["Attribute"]:
        if attribute.get("deleted"):
            continue
        digest = hashlib.md5(attribute["value"].encode(), usedforsecurity=False).hexdigest()
        yield f"{digest},{data['uuid']}\n"


def write_feed(directory: Path, *, viewer: Viewer = ANY_PARTNER) -> ExportResult:
    """Write the feed into ``directory``: each file written aside and renamed into place,
    the manifest last, so a consumer never reads a half-written feed. Event files of events
    no longer in the feed are removed."""
    directory.mkdir(parents=True, exist_ok=True)
    result = ExportResult()
    manifest: dict[str, Any] = {}
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp",
                                     encoding="utf-8") as hashes:
        for event in feed_events(viewer):
            uuid = event["Event"]["uuid"]
            _write_atomic(directory / f"{uuid}.json", orjson.dumps(event))
            manifest[uuid] = manifest_entry(event)
            hashes.writelines(value_hashes(event))
            result.events += 1
            result.attributes += len(event["Event"]["Attribute"])
    os.replace(hashes.name, directory / "hashes.csv")
    for stale in directory.iterdir():
        if UUID_FILE.match(stale.name) and stale.name[:-5] not in manifest:
            stale.unlink()
            result.removed += 1
    _write_atomic(directory / "manifest.json", orjson.dumps(manifest))
    return result


def _write_atomic(path: Path, content: bytes) -> None:
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False,
                                     suffix=".tmp") as handle:
        handle.write(content)
    os.replace(handle.name, path)


def serve(*, viewer: Viewer | Any, name: str) -> tuple[bytes | Iterator[bytes], str]:
    """One file of the feed as the token holder may see it."""
    if not isinstance(viewer, Viewer):
        viewer = viewer_for(viewer)
    if name == "manifest.json":
        manifest = {e["Event"]["uuid"]: manifest_entry(e) for e in feed_events(viewer)}
        return orjson.dumps(manifest), "application/json"
    if name == "hashes.csv":
        return (line.encode() for e in feed_events(viewer)
                for line in value_hashes(e)), "text/csv"
    if not UUID_FILE.match(name):
        raise NotFound("Invalid feed file.")
    ref = uuid_module.UUID(name[:-5])
    reports = selectors.feed_reports(viewer).filter(uuid=ref)
    found = list(reports[:1])
    if not found:
        raise NotFound("Invalid event.")
    event = selectors.events_json(None, found, show_source=lambda r: sees_source(viewer, r))
    return orjson.dumps(event[0]), "application/json"
