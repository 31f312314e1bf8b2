"""The inputs the fuzzing found crashing the platform, kept as plain tests so that they stay
fixed whatever the random search tries next."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.assurance.importers import _sample, _write, by_name
from vrisac.advisories.services import import_sources

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("document", [b'{"document": true}', b'{"document": {"tracking": 7}}',
                                      b'{"document": []}', b"[]", b"true"])
def test_csaf_document_of_the_wrong_shape_is_skipped_naming_it(document: bytes) -> None:
    importer = by_name("csaf")
    before = importer.rows()
    report = import_sources("csaf", [str(_write(document, ".json"))])
    assert report.created == 0 and len(report.skipped) == 1
    assert importer.rows() == before


@pytest.mark.parametrize("kind", ["csaf", "nvd", "cve5"])
@pytest.mark.parametrize("damage", ["cut", "header only", "bad data"])
def test_a_damaged_gzip_file_is_refused_cleanly(kind: str, damage: str) -> None:
    """Found by the fuzzing: a gzip file cut short crashed the advisory importers with
    EOFError. Now it is a clean refusal of that file, and nothing is written."""
    import gzip

    from vrisac.advisories.importers.common import FileError

    whole = gzip.compress(b'{"vulnerabilities": []}')
    data = {"cut": whole[:-12], "header only": whole[:10],
            "bad data": whole[:10] + b"\xff" * 20}[damage]
    importer = by_name(kind)
    before = importer.rows()
    try:
        report = import_sources(kind, [str(_write(data, ".json.gz"))])
    except FileError as exc:
        assert "gzip" in str(exc)
    else:
        assert report.created == 0 and [s.field for s in report.skipped] == ["(file)"]
        assert "gzip" in report.skipped[0].reason
    assert importer.rows() == before


def test_cve5_zip_entry_with_damaged_compressed_data_is_skipped_and_the_rest_imported(
        ) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a/CVE-2024-29025.json", _sample("trustify-CVE-2024-29025.json"))
        archive.writestr("b/CVE-1999-0001.json", _sample("trustify-CVE-1999-0001.json"))
    data = bytearray(buffer.getvalue())
    # Damage the deflate stream of the second entry (its data follows its local header).
    second = data.index(b"b/CVE-1999-0001.json") + len(b"b/CVE-1999-0001.json")
    data[second + 5:second + 25] = b"\xff" * 20
    report = import_sources("cve5", [str(_write(bytes(data), ".zip"))])
    assert report.created == 1
    assert [s.field for s in report.skipped] == ["(file)"]
    assert "CVE-1999-0001" in report.skipped[0].file


@pytest.mark.parametrize("path", ["/api/v1/advisories", "/api/v1/reports",
                                  "/api/v1/knowledge/items"])
def test_an_offset_past_any_database_integer_is_refused_not_a_server_error(
        path: str, people: dict[str, Any]) -> None:
    from vrisac.core.testing import api_client

    client = api_client(people["utrecht"])
    response = client.get(path, {"offset": 10**30})
    assert response.status_code == 422
    assert client.get(path, {"offset": 1_000_000}).status_code == 200
