"""Hostile inputs for the tests and the benchmarks of extraction (not used by the platform)."""

from __future__ import annotations

import io
import zlib

MB = 1024 * 1024


def shared_stream_pdf(*, pages: int = 10, megabytes: int = 70, text: str = "203.0.113.7",
                      filler: bytes = b"% " + b"padding " * 12 + b"\n") -> bytes:
    """A PDF of ``pages`` pages whose /Contents are all ONE Flate stream that unpacks to about
    ``megabytes`` MB: one line that shows ``text``, then comment lines that the content
    parser reads through byte by byte (for every page again). Ten pages of 70 MB are a file
    of about 250 KB, and cost pypdf some 40 s of processor time read whole."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    body = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET\n".encode()
    compressor = zlib.compressobj(9)
    chunk = filler * (MB // len(filler))
    packed = [compressor.compress(body)]
    packed += [compressor.compress(chunk) for _ in range(megabytes)]
    packed.append(compressor.flush())
    writer = PdfWriter()
    stream = StreamObject()  # a plain stream object keeps its bytes as given: compressed
    stream.set_data(b"".join(packed))
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    contents = writer._add_object(stream)
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): font})})
    for _ in range(pages):
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Contents")] = contents
        page[NameObject("/Resources")] = resources
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
