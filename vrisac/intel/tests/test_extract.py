"""Free-text extraction: typed, refanged candidates; hostile input gets a clear message."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from vrisac.core.errors import DomainError
from vrisac.intel.extract import MAX_TEXT_CHARS, extract, text_from_file

FIXTURES = Path(__file__).parent / "fixtures"

VENDOR_MAIL = """\
From: SOC <soc@vendor-example.com>
Subject: IOCs phishing campagne

Blokkeer hxxps://login.rooster-portaal[.]com/auth?id=7 en rooster-portaal(.)com.
C2: 185.220.101[.]47:443 en netblok 185.220.101.0/24, IPv6 2a0b:f4c2::[1]
Dropper invoice.zip  d41d8cd98f00b204e9800998ecf8427e  da39a3ee5e6b4b0d3255bfef95601890afd80709
Persistence HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater
Pad: C:\\Users\\Public\\svchost32.exe ; CVE-2023-4966 ; AS13335
User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) RoosterBot/2.1
DNS: 8.8.8.8 via dns.google
"""


def by_type(items: list) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in items:
        found.setdefault(item.type, []).append(item.value)
    return found


@pytest.mark.django_db
def test_extracts_refanged_typed_candidates_with_warninglist_hits() -> None:
    items, truncated = extract(VENDOR_MAIL)
    assert not truncated
    found = by_type(items)
    assert found["url"] == ["https://login.rooster-portaal.com/auth?id=7"]
    assert found["domain"] == ["rooster-portaal.com", "dns.google"]
    assert "185.220.101.47" in found["ipv4"] and "8.8.8.8" in found["ipv4"]
    assert found["cidr"] == ["185.220.101.0/24"]
    assert found["email"] == ["soc@vendor-example.com"]
    assert found["md5"] == ["d41d8cd98f00b204e9800998ecf8427e"]
    assert found["regkey"] == [
        "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\updater"]
    assert found["filepath"] == ["C:\\Users\\Public\\svchost32.exe"]
    assert found["filename"] == ["invoice.zip"]
    assert found["cve"] == ["CVE-2023-4966"] and found["asn"] == ["AS13335"]
    assert found["user_agent"] == ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) RoosterBot/2.1"]
    hits = {i.value: i.warninglists for i in items}
    assert hits["8.8.8.8"] == ["Well-known public DNS resolvers"]
    assert hits["dns.google"] == ["Host names of public DNS resolvers (DNS over HTTPS and TLS)"]
    assert hits["d41d8cd98f00b204e9800998ecf8427e"] == ["Hashes of the empty file"]
    assert hits["185.220.101.47"] == []
    # The md5 and sha1 on one line describe one file.
    groups = {i.value: i.group for i in items}
    assert groups["d41d8cd98f00b204e9800998ecf8427e"] == groups[
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"] is not None


@pytest.mark.django_db
def test_duplicates_collapse_and_order_follows_the_text() -> None:
    items, _ = extract("evil.nl 1.2.3.4 EVIL.NL evil[.]nl 1.2.3.4")
    assert [(i.type, i.value) for i in items] == [("domain", "evil.nl"), ("ipv4", "1.2.3.4")]


@pytest.mark.django_db
def test_text_over_the_limit_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        extract("a" * (MAX_TEXT_CHARS + 1))
    assert "longer than" in caught.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", [
    "a" * 500_000,
    "1." * 200_000,
    ":" * 300_000,
    "a-" * 200_000 + ".com",
    ("x" * 60 + ".") * 8000,
    "C:\\" + "a\\" * 100_000,
    "HKLM" + "\\a" * 100_000,
    "0" * 400_000,
])
def test_hostile_text_is_handled(hostile: str) -> None:
    # A pattern with catastrophic backtracking would not come back at all on these inputs
    # (hundreds of kilobytes of near-matches); the run completing is the test.
    items, truncated = extract(hostile, with_warninglists=False)
    assert isinstance(items, list) and truncated is False


def test_text_files_and_binary_files() -> None:
    assert "evil.nl" in text_from_file("iocs.txt", b"IOC: evil.nl\n")
    assert "é" in text_from_file("latin.txt", "café".encode("cp1252"))
    with pytest.raises(DomainError) as caught:
        text_from_file("blob.txt", b"\x00\x01\x02binary")
    assert "blob.txt" in caught.value.message and "binary" in caught.value.message
    with pytest.raises(DomainError) as caught:
        text_from_file("fake.pdf", b"this is not a pdf")
    assert "fake.pdf" in caught.value.message


def test_broken_pdf_is_refused_with_its_name() -> None:
    with pytest.raises(DomainError) as caught:
        text_from_file("broken.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 50)
    assert "broken.pdf" in caught.value.message


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    data = (FIXTURES / "advisory.pdf").read_bytes()
    text = text_from_file("advisory.pdf", data)
    assert "185.220.101[.]47" in text
    assert "rooster-portaal" in text


@pytest.mark.django_db
def test_pdf_through_extraction() -> None:
    data = (FIXTURES / "advisory.pdf").read_bytes()
    items, _ = extract(text_from_file("advisory.pdf", data))
    assert ("ipv4", "185.220.101.47") in [(i.type, i.value) for i in items]


def _written_pdf(pages: int) -> bytes:
    """An ordinary PDF as a word processor would write it: pages of text in an embedded
    font (compressed content streams), the way member organisations' advisories come."""
    import matplotlib
    from fpdf import FPDF

    pdf = FPDF()
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", size=11)
    for n in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, f"Pagina {n + 1}: de dropper belt naar 185.220.101.{n} en "
                             f"c2-{n}.rooster-portaal.com; hash d41d8cd98f00b204e9800998ecf8427e."
                             "\nÜber één café: " + "waarschuwing " * 60)
    return bytes(pdf.output())


@pytest.mark.parametrize("name", ["advisory.pdf", "written"])
def test_pdf_text_read_in_its_own_process_is_what_pypdf_reads_here(name: str) -> None:
    """The reading process changes where the text is read, not what it is."""
    from pypdf import PdfReader

    data = _written_pdf(pages=12) if name == "written" else (FIXTURES / name).read_bytes()
    reader = PdfReader(io.BytesIO(data), strict=False)
    expected = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert expected.strip()
    assert text_from_file(name, data) == expected


def test_fixture_pdf_is_a_real_pdf() -> None:
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO((FIXTURES / "advisory.pdf").read_bytes())).pages) == 1
