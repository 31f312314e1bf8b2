"""The text of a PDF, read by a process of its own within a work budget.

A PDF is a program of sorts, and a small one can ask for a great deal of work: ten pages whose
contents are one Flate stream that unpacks to 70 MB, parsed again for every page, cost pypdf
41 s of processor time for a 180 KB upload. So a PDF's text is never read in a web process.
``read`` starts this file as a script (``python -I pdftext.py``: the standard library and
pypdf only, no Django, no project code on its path), gives it the file on standard input and
waits for the answer, a JSON object on standard output. The child first

* lowers its own priority (``nice`` 10): on a busy machine the web processes go first;
* limits itself, before it reads a byte: processor time (``RLIMIT_CPU``; the kernel stops it
  at the budget, whatever pypdf is doing), address space (``RLIMIT_AS``), no files written,
  no core dump;
* caps every decompression at the content budget (pypdf's own limits);

then, page by page, adds up the decompressed bytes of what the page's text is read from (its
content streams and the forms it draws), again for every page that shares them, because the
parse is repeated too, and stops as soon as the sum passes the budget, before parsing that
page. The parent waits at most ``wall_seconds`` (a child that gets no processor time on a
busy machine is killed then) and turns every way of stopping into a ``Refused`` with its
reason, which ``extract.text_from_file`` words for the person who uploaded the file.

The extraction API answers synchronously (``POST /api/v1/extract/file`` returns the candidates
in its answer), so the web thread waits for the child; the budget keeps that wait short.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Any

#: How the child says why it stopped; the parent's words for each are in ``extract``.
REASONS = ("content", "cpu", "memory", "time", "pages", "chars", "password", "unreadable")


@dataclass(frozen=True)
class Budget:
    """The work one PDF may cost."""

    content_bytes: int
    cpu_seconds: int
    memory_bytes: int
    max_pages: int
    max_chars: int

    @property
    def wall_seconds(self) -> float:
        """How long the parent waits: the processor budget with room for a busy machine."""
        return float(self.cpu_seconds * 5 + 10)


class Refused(Exception):
    """The child did not give the text: ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def read(data: bytes, budget: Budget) -> str:
    """The text of the PDF ``data``, pages joined by newlines, or ``Refused``."""
    command = [sys.executable, "-I", os.path.abspath(__file__), json.dumps(asdict(budget))]
    try:
        done = subprocess.run(  # noqa: S603  (our own interpreter and file, no shell)
            command, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={"LC_ALL": "C.UTF-8"}, timeout=budget.wall_seconds, check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child and waited for it
        raise Refused("time") from None
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        # SIGXCPU at the soft limit; SIGKILL at the hard one, a second later.
        raise Refused("cpu")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise Refused("unreadable", f"the reader stopped ({done.returncode})")
    if "text" in answer:
        return str(answer["text"])
    reason = answer.get("refused")
    raise Refused(reason if reason in REASONS else "unreadable", str(answer.get("detail", "")))


# --- the child ------------------------------------------------------------------------------

def _limit_self(budget: Budget) -> None:
    import resource

    os.nice(10)
    resource.setrlimit(resource.RLIMIT_CPU, (budget.cpu_seconds, budget.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (budget.memory_bytes, budget.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _streams(contents: Any) -> list[Any]:
    from pypdf.generic import ArrayObject

    contents = contents.get_object() if contents is not None else None
    if contents is None:
        return []
    if isinstance(contents, ArrayObject):
        return [part.get_object() for part in contents]
    return [contents]


def _page_content_bytes(page: Any) -> int:
    """The decompressed bytes a page's text is read from: its content streams and the form
    XObjects it (or a form it draws) names, each once for this page."""
    from pypdf.generic import DictionaryObject, StreamObject

    total = sum(len(stream.get_data()) for stream in _streams(page.get("/Contents"))
                if isinstance(stream, StreamObject))
    seen: set[int] = set()
    pending = [(page.get("/Resources"), 0)]
    while pending:
        resources, depth = pending.pop()
        resources = resources.get_object() if resources is not None else None
        if not isinstance(resources, DictionaryObject) or depth > 32:
            continue
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        if not isinstance(xobjects, DictionaryObject):
            continue
        for reference in xobjects.values():
            form = reference.get_object()
            if not isinstance(form, StreamObject) or form.get("/Subtype") != "/Form" \
                    or id(form) in seen:
                continue
            seen.add(id(form))
            total += len(form.get_data())
            pending.append((form.get("/Resources"), depth + 1))
    return total


def _text(data: bytes, budget: Budget) -> str:
    import io
    import logging

    from pypdf import PdfReader, apply_configuration, get_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

    logging.disable(logging.CRITICAL)  # pypdf's warnings: nobody reads the child's log
    cap = budget.content_bytes + 1
    limited = get_configuration().with_overwrites(
        zlib_maximum_output_length=cap, lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap, brotli_maximum_output_length=cap,
        array_based_stream_maximum_output_length=cap, jbig2dec_binary=None)
    try:
        with apply_configuration(limited):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise Refused("password")
            pages = reader.pages
            if len(pages) > budget.max_pages:
                raise Refused("pages")
            parts: list[str] = []
            size = content = 0
            for page in pages:
                content += _page_content_bytes(page)
                if content > budget.content_bytes:
                    raise Refused("content")
                text = page.extract_text() or ""
                size += len(text)
                if size > budget.max_chars:
                    raise Refused("chars")
                parts.append(text)
    except LimitReachedError:
        raise Refused("content") from None
    except MemoryError:
        raise Refused("memory") from None
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError,
            RecursionError, OSError, AssertionError, ZeroDivisionError) as exc:
        raise Refused("unreadable", exc.__class__.__name__) from None
    return "\n".join(parts)


def _main() -> None:
    budget = Budget(**json.loads(sys.argv[1]))
    _limit_self(budget)
    data = sys.stdin.buffer.read()
    try:
        answer: dict[str, str] = {"text": _text(data, budget)}
    except Refused as refused:
        answer = {"refused": refused.reason, "detail": refused.detail}
    sys.stdout.buffer.write(json.dumps(answer).encode())


if __name__ == "__main__":
    _main()
