"""Feeds over HTTP, through the guarded client, against a real HTTP server on loopback:
a CSAF provider (provider-metadata.json, a directory with changes.csv and index.txt, a ROLIE
feed), NVD API paging, and gzipped EPSS."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vrisac.advisories.models import Advisory, FeedState, Vulnerability
from vrisac.advisories.services import import_sources

pytestmark = pytest.mark.django_db


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requested: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        type(self).requested.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path: Path, settings: Any) -> Iterator[tuple[str, Path]]:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = True
    root = tmp_path / "www"
    root.mkdir()
    _Quiet.requested = []

    def handler(*args: Any, **kwargs: Any) -> _Quiet:
        return _Quiet(*args, directory=str(root), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def _document(samples: Path, name: str, tracking_id: str, date: str) -> dict[str, Any]:
    doc = json.loads((samples / name).read_text())
    doc["document"]["tracking"]["id"] = tracking_id
    doc["document"]["tracking"]["current_release_date"] = date
    return doc


def test_csaf_provider_with_directory_and_rolie(server: tuple[str, Path], samples: Path
                                                ) -> None:
    base, root = server
    (root / "white" / "2022").mkdir(parents=True)
    (root / "white" / "2022" / "bsi-2022-0001.json").write_text(json.dumps(_document(
        samples, "oasis-example-bsi-2022-0001.json", "BSI-2022-0001",
        "2022-03-17T13:03:42.105Z")))
    (root / "white" / "changes.csv").write_text(
        '"2022/bsi-2022-0001.json","2022-03-17T13:03:42+00:00"\n')
    (root / "rolie").mkdir()
    (root / "rolie" / "vex.json").write_text(json.dumps(_document(
        samples, "oasis-vex-2022-evd-uc-02-na-001.json", "2022-EVD-UC-02-NA-001",
        "2022-03-03T11:00:00.000Z")))
    (root / "rolie" / "feed-tlp-white.json").write_text(json.dumps({"feed": {
        "id": "example-csaf-feed-tlp-white", "title": "Example CSAF feed (TLP:WHITE)",
        "entry": [{"id": "2022-EVD-UC-02-NA-001", "title": "VEX",
                   "updated": "2022-03-03T11:00:00Z",
                   "content": {"type": "application/json", "src": f"{base}/rolie/vex.json"}}],
    }}))
    (root / "provider-metadata.json").write_text(json.dumps({
        "canonical_url": f"{base}/provider-metadata.json", "metadata_version": "2.0",
        "role": "csaf_trusted_provider", "list_on_CSAF_aggregators": True,
        "mirror_on_CSAF_aggregators": True, "last_updated": "2022-03-17T13:09:42Z",
        "publisher": {"category": "vendor", "name": "Example", "namespace": base},
        "distributions": [
            {"directory_url": f"{base}/white/"},
            {"rolie": {"feeds": [{"summary": "white", "tlp_label": "WHITE",
                                  "url": f"{base}/rolie/feed-tlp-white.json"},
                                 {"summary": "red", "tlp_label": "RED",
                                  "url": f"{base}/rolie/feed-tlp-red.json"}]}},
        ],
    }))
    url = f"{base}/provider-metadata.json"
    report = import_sources("csaf", [url])
    assert report.skipped == [] and report.created == 2
    assert set(Advisory.objects.values_list("tracking_id", flat=True)) == {
        "BSI-2022-0001", "2022-EVD-UC-02-NA-001"}
    assert "/rolie/feed-tlp-red.json" not in _Quiet.requested
    assert any("TLP:RED feed not read" in n for n in report.notes)
    state = FeedState.objects.get(url=url)
    assert state.last_success is not None
    # Nothing changed since: the documents are not fetched again.
    _Quiet.requested.clear()
    again = import_sources("csaf", [url])
    assert again.created == again.updated == 0
    assert not any(p.endswith(".json") and "/2022/" in p for p in _Quiet.requested)


def test_csaf_directory_index_txt_and_unreachable(server: tuple[str, Path], samples: Path
                                                  ) -> None:
    base, root = server
    (root / "dir").mkdir()
    (root / "dir" / "a.json").write_bytes((samples / "oasis-example-bsi-2022-0001.json")
                                          .read_bytes())
    (root / "dir" / "index.txt").write_text("a.json\nmissing.json\n")
    report = import_sources("csaf", [f"{base}/dir/", "http://127.0.0.1:9/nothing/"])
    assert report.created == 1
    reasons = {s.file: s.reason for s in report.skipped}
    assert "404" in reasons[f"{base}/dir/missing.json"]
    assert "failed" in reasons["http://127.0.0.1:9/nothing/"]


def test_nvd_api_pages_and_gzipped_epss(server: tuple[str, Path], samples: Path,
                                        settings: Any) -> None:
    base, root = server
    page = json.loads((samples / "nvd-api2-single-entry.json").read_text())
    cve = page["vulnerabilities"][0]
    second = json.loads(json.dumps(cve))
    second["cve"]["id"] = "CVE-2022-9999"
    api = root / "rest" / "json" / "cves"
    api.mkdir(parents=True)
    # SimpleHTTPRequestHandler ignores the query: serve both pages from one file whose
    # totalResults says two pages of one.
    page.update(resultsPerPage=1, totalResults=2, vulnerabilities=[cve, second])
    (api / "2.0").write_text(json.dumps(page))
    report = import_sources("nvd", [f"{base}/rest/json/cves/2.0"])
    assert report.files == 2 and report.skipped == []
    assert Vulnerability.objects.filter(cve_id__in=["CVE-2022-1576", "CVE-2022-9999"]
                                        ).count() == 2
    assert any("startIndex=1" in p for p in _Quiet.requested)
    (root / "epss.csv.gz").write_bytes(gzip.compress((samples / "epss-sample.csv").read_bytes()))
    report = import_sources("epss", [f"{base}/epss.csv.gz"])
    assert report.created == 5 and report.skipped == []
    settings.VRISAC_FETCH_ALLOW_PRIVATE = False
    refused = import_sources("epss", [f"{base}/epss.csv.gz"])
    assert "not a public address" in refused.skipped[0].reason
