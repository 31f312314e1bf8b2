"""Compression bombs, refused with a clear error while memory stays bounded: gzip files and
gzip-encoded feeds, zip archives, PDF streams. And no XML parser that is not hardened can
enter the code base (the platform reads no XML today; CSAF, STIX and MISP are JSON).

Memory is measured with tracemalloc around the import: a bomb that were unpacked whole would
show its unpacked size there."""

from __future__ import annotations

import gzip
import io
import re
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.assurance.importers import _write, by_name
from vrisac.advisories.services import import_sources
from vrisac.core.errors import DomainError
from vrisac.core.testing import make_person

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def peak_mb(action: Callable[[], Any]) -> tuple[Any, float]:
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def zeros_gzip(megabytes: int) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as out:
        chunk = b" " * MB
        out.write(b'{"vulnerabilities": [')
        for _ in range(megabytes):
            out.write(chunk)
    return buffer.getvalue()


def test_gzip_bomb_nvd_file_is_refused_at_the_limit_with_bounded_memory(settings: Any) -> None:
    settings.VRISAC_IMPORT_MAX_MB = {"nvd": 8}
    bomb = zeros_gzip(200)
    assert len(bomb) < MB  # 200 MB of JSON whitespace in a few hundred kB
    rows = by_name("nvd").rows()
    report, peak = peak_mb(lambda: import_sources("nvd", [str(_write(bomb, ".json.gz"))]))
    assert [s.reason for s in report.skipped] == ["larger than the limit of 8 MB"]
    assert by_name("nvd").rows() == rows
    assert peak < 40, f"the bomb took {peak:.0f} MB"


def test_zip_bomb_entry_and_zip_unpacking_to_too_much_are_refused(settings: Any) -> None:
    settings.VRISAC_IMPORT_MAX_MB = {"cve5": 50, "cve5_zip": 10}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cves/CVE-2024-0001.json", b"{" + b" " * (40 * MB) + b"}")
    one_entry = buffer.getvalue()
    report, peak = peak_mb(lambda: import_sources("cve5", [str(_write(one_entry, ".zip"))]))
    assert [s.reason for s in report.skipped] == ["compressed more than 200:1, not a CVE record"]
    assert peak < 20, f"the bomb took {peak:.0f} MB"

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(11):
            archive.writestr(f"cves/CVE-2024-{i:04}.json", b" " * 10 * MB)
    many = buffer.getvalue()
    report = import_sources("cve5", [str(_write(many, ".zip"))])
    assert len(report.skipped) == 1 and "more than 10 times the limit" in report.skipped[0].reason
    assert report.read == 0


def test_gzip_encoded_feed_bomb_is_cut_at_the_feed_limit(settings: Any, tmp_path: Path,
                                                        monkeypatch: Any) -> None:
    from vrisac.intel import feeds
    from vrisac.intel.tests.test_feeds import FeedServer

    settings.VRISAC_FETCH_ALLOW_PRIVATE = True
    monkeypatch.setattr(feeds, "MAX_FEED_BYTES", 4 * MB)
    server = FeedServer()
    try:
        body = zeros_gzip(300)
        server.files["/bomb.txt"] = body
        handler_class: Any = server.httpd.RequestHandlerClass
        original = handler_class.end_headers

        def gzip_header(handler: Any) -> None:
            handler.send_header("Content-Encoding", "gzip")
            original(handler)

        monkeypatch.setattr(handler_class, "end_headers", gzip_header)
        coordinator = make_person("coordinator", "nipv")
        feed = feeds.feed_save(acting_user=coordinator, name="bomb", title="bomb",
                               url=f"{server.url}/bomb.txt")
        rows = by_name("feed-text").rows()

        def fetch() -> None:
            with pytest.raises(DomainError, match="larger than the limit"):
                feeds.feed_import(feed=feed)

        _none, peak = peak_mb(fetch)
        assert by_name("feed-text").rows() == rows
        assert peak < 40, f"the bomb took {peak:.0f} MB"
    finally:
        server.close()


def _pdf_with_stream(stream: bytes) -> bytes:
    """A one-page PDF whose content stream is ``stream`` (FlateDecode)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
               + b"\nendstream"]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def test_pdf_stream_bomb_is_read_with_bounded_memory() -> None:
    """A content stream that unpacks to 120 MB of text operators: refused or cut short by
    the PDF reader's own limit, never unpacked whole."""
    from vrisac.intel.extract import MAX_TEXT_CHARS, text_from_file

    compressor = zlib.compressobj(9)
    line = b"BT (A) Tj ET "
    stream = b"".join(compressor.compress(line * (MB // len(line))) for _ in range(120))
    bomb = _pdf_with_stream(stream + compressor.flush())
    assert len(bomb) < MB

    def extract() -> str:
        try:
            return text_from_file("bomb.pdf", bomb)
        except DomainError:
            return ""

    text, peak = peak_mb(extract)
    assert len(text) <= MAX_TEXT_CHARS
    assert peak < 40, f"the bomb took {peak:.0f} MB"


XML_PARSERS = re.compile(r"^\s*(?:from|import)\s+(xml\.(?:etree|dom|sax|parsers)|lxml|"
                         r"xmltodict|html5lib)\b", re.M)


def test_no_xml_parser_but_a_hardened_one_in_the_platform() -> None:
    """XML entity expansion (billion laughs) and external entities are refused by
    construction: the platform's code imports no XML parser; one that is added must be
    defusedxml, and then this test is where its bombs get tested."""
    found = [f"{path.relative_to(ROOT)}: {match.group(1)}"
             for path in (ROOT / "vrisac").rglob("*.py") if "/tests/" not in str(path)
             for match in XML_PARSERS.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


#: Ten pages whose contents are ONE stream unpacking to 70 MB, parsed again for every page:
#: comment lines (read whole: 41 s of processor time for a 250 KB upload) and text operators
#: (a 180 KB upload; 8 s before pypdf's own token limit stopped it).
PDF_BOMB_FILLERS = {"comments": b"% " + b"padding " * 12 + b"\n",
                    "operators": b"BT /F1 12 Tf (A) Tj ET\n"}


@pytest.mark.parametrize("shape", sorted(PDF_BOMB_FILLERS))
def test_pdf_pages_sharing_one_huge_stream_are_refused_at_the_content_budget(
        shape: str) -> None:
    """Counted per page (each page repeats the parse), the content passes the budget on
    the first page: refused before the parse, the answer naming the file and the budget."""
    from vrisac.intel.extract import text_from_file
    from vrisac.intel.testing import shared_stream_pdf

    bomb = shared_stream_pdf(pages=10, megabytes=70, filler=PDF_BOMB_FILLERS[shape])
    assert len(bomb) < 300 * 1024
    with pytest.raises(DomainError) as caught, translation.override("en"):
        text_from_file("bomb.pdf", bomb)
    assert caught.value.message == (
        "The PDF bomb.pdf needs more work to read than this server allows: more than 20 MB "
        "of page content (a page that repeats content counts it again). Split it up, or "
        "paste its text.")
    assert caught.value.field == "file"


def test_pdf_pages_under_the_content_budget_are_stopped_by_the_processor_limit(
        settings: Any) -> None:
    """The parse runs in a process the kernel stops at its processor budget (RLIMIT_CPU):
    with the content budget out of the way, the bomb that needs 41 s gets 1 s."""
    from vrisac.intel.extract import text_from_file
    from vrisac.intel.testing import shared_stream_pdf

    settings.VRISAC_EXTRACT_PDF_CONTENT_MB = 1000
    settings.VRISAC_EXTRACT_PDF_CPU_SECONDS = 1
    with pytest.raises(DomainError) as caught, translation.override("en"):
        text_from_file("bomb.pdf", shared_stream_pdf(pages=10, megabytes=70))
    assert caught.value.message == (
        "The PDF bomb.pdf needs more work to read than this server allows: more processor "
        "time than its limit of 1 s. Split it up, or paste its text.")


def test_pdf_reader_that_does_not_answer_in_time_is_killed(settings: Any,
                                                          monkeypatch: Any) -> None:
    """A reader that gets no processor time (a busy machine) is killed at the wall-clock
    limit and the upload is answered, not left waiting."""
    from vrisac.intel import pdftext
    from vrisac.intel.extract import text_from_file
    from vrisac.intel.testing import shared_stream_pdf

    settings.VRISAC_EXTRACT_PDF_CONTENT_MB = 1000
    settings.VRISAC_EXTRACT_PDF_CPU_SECONDS = 100
    monkeypatch.setattr(pdftext.Budget, "wall_seconds", property(lambda self: 1.0))
    with pytest.raises(DomainError) as caught, translation.override("en"):
        text_from_file("bomb.pdf", shared_stream_pdf(pages=10, megabytes=70))
    assert caught.value.message.startswith(
        "Reading the PDF bomb.pdf did not finish within its limit of 1 s")


BUDGET_SPENT_NL = ("De pdf bomb.pdf vraagt meer werk om te lezen dan deze server toestaat: "
                   "meer dan 20 MB pagina-inhoud (een pagina die inhoud herhaalt, telt die "
                   "opnieuw). Splits hem op, of plak de tekst ervan.")


@pytest.mark.parametrize("face", ["api", "page", "command"])
def test_pdf_bomb_is_answered_with_the_budget_on_every_face(
        face: str, people: dict[str, Any], tmp_path: Path) -> None:
    """The API (``POST /api/v1/extract/file``), the extraction page and ``vrisac extract``
    read files through the same budget, and say so in the members' language."""
    import html

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import CommandError, call_command

    from vrisac.core.testing import api_client, client_for
    from vrisac.intel.testing import shared_stream_pdf

    bomb = shared_stream_pdf()
    if face == "api":
        client = api_client(people["utrecht"], ["intel:read"])
        response = client.post("/api/v1/extract/file",
                               {"file": SimpleUploadedFile("bomb.pdf", bomb)})
        assert response.status_code == 400 and response.json()["field"] == "file"
        assert response.json()["detail"] == BUDGET_SPENT_NL
    elif face == "page":
        response = client_for(people["utrecht"]).post(
            "/intel/extract/", {"file": SimpleUploadedFile("bomb.pdf", bomb)})
        assert response.status_code == 200
        assert BUDGET_SPENT_NL in html.unescape(response.content.decode())
    else:
        path = tmp_path / "bomb.pdf"
        path.write_bytes(bomb)
        with pytest.raises(CommandError) as caught, translation.override("nl"):
            call_command("extract", str(path))
        assert str(caught.value) == BUDGET_SPENT_NL.replace("bomb.pdf", str(path))
