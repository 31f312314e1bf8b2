"""Every importer of the platform, as one entry each, for the hostile-input tests.

An entry names the importer, runs it on raw bytes (written to a file where the importer reads
files), says which exceptions count as a clean refusal, counts the stored rows the importer
may touch, and gives valid samples to mutate. Adding an importer is adding one entry to
``IMPORTERS`` (see docs/assurance.md).

The property every entry must have (tests/assurance/test_hostile_importers.py):

* any input ends in a result or in one of ``clean_errors``, never in another exception;
* input of which nothing was accepted changes no stored row;
* importing the same input again changes no stored row (no duplicates, no half-written unit
  left to be completed).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrisac.core.errors import DomainError

SAMPLES = Path(__file__).resolve().parents[2] / "vrisac" / "advisories" / "data" / "samples"


@dataclass(frozen=True)
class Importer:
    """One importer as the fuzzing harness sees it."""

    name: str
    #: Import ``data``; return how many units (records, rows, documents) it reports accepted.
    run: Callable[[bytes], int]
    #: The exceptions that are a clean, explained refusal of the input.
    clean_errors: tuple[type[BaseException], ...]
    #: The stored rows the importer may write: {label: count}.
    rows: Callable[[], dict[str, int]]
    #: Valid inputs, the starting points of the mutations.
    seeds: list[bytes] = field(default_factory=list)
    #: The input is JSON: mutate it structurally too.
    json: bool = False


def _write(data: bytes, suffix: str) -> Path:
    """The input as a file (one folder per process, the file overwritten each time)."""
    folder = Path(tempfile.gettempdir()) / f"vrisac-fuzz-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    return path


def _advisory_rows() -> dict[str, int]:
    from vrisac.advisories.models import Advisory, AffectedProduct, Vulnerability

    return {"advisories": Advisory.objects.count(),
            "vulnerabilities": Vulnerability.objects.count(),
            "affected": AffectedProduct.objects.count()}


def _advisory_import(kind: str, suffix: str = ".json") -> Callable[[bytes], int]:
    def run(data: bytes) -> int:
        from vrisac.advisories.services import import_sources

        report = import_sources(kind, [str(_write(data, suffix))])
        return report.created + report.updated
    return run


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _inventory_rows() -> dict[str, int]:
    from vrisac.assets.models import InventoryItem

    return {"inventory": InventoryItem.objects.count()}


def _inventory_import(data: bytes) -> int:
    from vrisac.assets.services import inventory_import_csv
    from vrisac.core.testing import organisation

    report = inventory_import_csv(organisation=organisation("utrecht"),
                                  stream=io.BytesIO(data), filename="inventory.csv")
    return report.created + report.updated


def _indicator_rows() -> dict[str, int]:
    from vrisac.intel.models import Indicator, IndicatorValue

    return {"indicators": Indicator.objects.count(), "values": IndicatorValue.objects.count()}


def _feed_import(fmt: str, **options: Any) -> Callable[[bytes], int]:
    def run(data: bytes) -> int:
        from vrisac.core.testing import make_person
        from vrisac.intel.feeds import feed_dir, feed_import, feed_save
        from vrisac.intel.models import Feed

        folder = feed_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"fuzz-{fmt}.txt"
        path.write_bytes(data)
        feed = Feed.objects.filter(name=f"fuzz-{fmt}").first()
        if feed is None:
            coordinator = make_person("coordinator", "nipv")
            feed = feed_save(acting_user=coordinator, name=f"fuzz-{fmt}", title="fuzz",
                             path=str(path), format=fmt, **options)
        result = feed_import(feed=feed, force=True)
        return result.added
    return run


def _extract(data: bytes) -> int:
    from vrisac.intel.extract import extract, text_from_file

    extract(text_from_file("pasted.txt", data))
    return 0  # proposes indicators, stores nothing


def _zip_of(*names: str) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(f"cves/{name}", _sample(name))
    return buffer.getvalue()


def _no_rows() -> dict[str, int]:
    return {}


def _markdown(data: bytes) -> int:
    from vrisac.core.markdown import render_markdown

    render_markdown(data.decode("utf-8", errors="replace"))
    return 0


def _report_rows() -> dict[str, int]:
    from vrisac.interop.stix.models import KeptObject
    from vrisac.reports.models import Report

    return {"reports": Report.objects.count(), "kept objects": KeptObject.objects.count(),
            **_indicator_rows()}


def _stix_import(data: bytes) -> int:
    from vrisac.core.testing import make_person
    from vrisac.interop.stix.services import bundle_import

    coordinator = make_person("coordinator", "nipv")
    result = bundle_import(acting_user=coordinator, data=data, where="fuzz.json")
    return len(result.created) + len(result.updated) + result.indicators_added


MISP_EVENT_UUID = "5f1c7d0e-8a3b-4c2d-9e1f-0a1b2c3d4e5f"


def _misp_feed_import(data: bytes) -> int:
    """A feed directory of one event whose file is the input."""
    import orjson

    from vrisac.core.testing import make_person
    from vrisac.intel.feeds import feed_dir, feed_save
    from vrisac.intel.models import Feed
    from vrisac.interop.misp.feedimport import misp_feed_import

    folder = feed_dir() / "fuzz-misp"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_bytes(orjson.dumps(
        {MISP_EVENT_UUID: {"timestamp": "1764000000", "info": "fuzz"}}))
    (folder / f"{MISP_EVENT_UUID}.json").write_bytes(data)
    feed = Feed.objects.filter(name="fuzz-misp").first()
    if feed is None:
        feed = feed_save(acting_user=make_person("coordinator", "nipv"), name="fuzz-misp",
                         title="fuzz", path=str(folder), format="misp")
    return misp_feed_import(feed=feed, force=True).added


STIX_SEED = (b'{"type": "bundle", "id": "bundle--6f4d5c1a-2b3c-4d5e-8f90-1a2b3c4d5e6f",'
             b' "objects": [{"type": "report", "spec_version": "2.1",'
             b' "id": "report--0c3f8a2e-5b1d-4e6f-9a7b-8c9d0e1f2a3b",'
             b' "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",'
             b' "published": "2026-11-01T10:00:00.000Z", "name": "Phishing wave",'
             b' "report_types": ["threat-report"],'
             b' "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-'
             b'dfca5abac2bb"],'
             b' "object_refs": ["indicator--1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a"]},'
             b' {"type": "indicator", "spec_version": "2.1",'
             b' "id": "indicator--1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a",'
             b' "created": "2026-11-01T10:00:00.000Z", "modified": "2026-11-01T10:00:00.000Z",'
             b' "pattern": "[ipv4-addr:value = \'203.0.113.7\']", "pattern_type": "stix",'
             b' "valid_from": "2026-11-01T10:00:00Z"}]}')
MISP_EVENT_SEED = (b'{"Event": {"uuid": "5f1c7d0e-8a3b-4c2d-9e1f-0a1b2c3d4e5f",'
                   b' "info": "Phishing wave", "date": "2026-11-01", "timestamp": "1764000000",'
                   b' "Tag": [{"name": "tlp:green"}], "Attribute": ['
                   b'{"type": "ip-dst", "category": "Network activity", "value": "203.0.113.7",'
                   b' "to_ids": true, "uuid": "6a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",'
                   b' "timestamp": "1764000000"},'
                   b'{"type": "domain", "category": "Network activity",'
                   b' "value": "bad.example.org", "to_ids": true,'
                   b' "uuid": "7b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "timestamp": "1764000000"}'
                   b']}}')


INVENTORY_SEED = (b"vendor,product,version,cpe,purl,internet_facing,criticality\n"
                  b"Microsoft,Exchange Server,15.2.1544.4,,,yes,high\n"
                  b"Citrix,NetScaler ADC,14.1-12.35,,,yes,critical\n"
                  b"Apache,log4j,2.14.1,,pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1,"
                  b"no,medium\n")
FEED_CSV_SEED = (b"value,type,comment,first_seen\n"
                 b"185.220.101.1,ipv4,tor exit,2026-11-01T10:00:00Z\n"
                 b"evil.example.com,domain,phishing,2026-11-02\n"
                 b"44d88612fea8a8f36de82e1278abb02f,md5,eicar,\n")
FEED_TEXT_SEED = (b"# blocklist\n185.220.101.1\nhxxps://evil[.]example[.]com/login # phish\n"
                  b"d41d8cd98f00b204e9800998ecf8427e\n")
TEXT_SEED = (b"Phishing from 203.0.113.7 and hxxp://bad[.]example[.]org/x.exe, hash "
             b"44d88612fea8a8f36de82e1278abb02f, CVE-2024-3400; mail evil@bad.example.org.\n"
             )
MARKDOWN_SEED = (b"# Kop\n\n*nadruk* [link](javascript:alert(1)) <script>alert(1)</script>\n"
                 b"| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | `code` |\n")


IMPORTERS: list[Importer] = [
    Importer("csaf", _advisory_import("csaf"), (DomainError,), _advisory_rows,
             [_sample("oasis-example-bsi-2022-0001.json"),
              _sample("oasis-example-rhsa-2019_1862.json")], json=True),
    Importer("nvd", _advisory_import("nvd"), (DomainError,), _advisory_rows,
             [_sample("nvd-api2-single-entry.json"), _sample("nvd-bare-cve-object.json")],
             json=True),
    Importer("cve5", _advisory_import("cve5"), (DomainError,), _advisory_rows,
             [_sample("trustify-CVE-2024-29025.json"), _sample("trustify-CVE-1999-0001.json")],
             json=True),
    Importer("cve5-zip", _advisory_import("cve5", ".zip"), (DomainError,), _advisory_rows,
             [_zip_of("trustify-CVE-2024-29025.json", "trustify-CVE-1999-0001.json")]),
    Importer("kev", _advisory_import("kev"), (DomainError,), _advisory_rows,
             [_sample("kev-sample-25.json")], json=True),
    Importer("epss", _advisory_import("epss", ".csv"), (DomainError,), _advisory_rows,
             [_sample("epss-sample.csv")]),
    Importer("inventory-csv", _inventory_import, (DomainError,), _inventory_rows,
             [INVENTORY_SEED]),
    Importer("feed-csv", _feed_import("csv", has_header=True, value_column="value",
                                      type_column="type", comment_column="comment"),
             (DomainError,), _indicator_rows, [FEED_CSV_SEED]),
    Importer("feed-text", _feed_import("text"), (DomainError,), _indicator_rows,
             [FEED_TEXT_SEED]),
    Importer("free-text", _extract, (DomainError,), _no_rows, [TEXT_SEED]),
    Importer("markdown", _markdown, (), _no_rows, [MARKDOWN_SEED]),
    Importer("stix", _stix_import, (DomainError,), _report_rows, [STIX_SEED], json=True),
    Importer("misp-feed", _misp_feed_import, (DomainError,), _indicator_rows,
             [MISP_EVENT_SEED], json=True),
]


def by_name(name: str) -> Importer:
    return next(i for i in IMPORTERS if i.name == name)
