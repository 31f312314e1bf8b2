"""Free-text extraction: typed, refanged, normalised candidates from pasted text or a file.

The same function serves the page, the API (``POST /api/v1/extract``) and the command line
(``vrisac extract FILE``). Every pattern here runs in time linear in the text (no nested
unbounded repetition), and the text, the file and the number of candidates are capped, so
megabytes of hostile input get a clear message rather than a hung worker. A PDF's text is
read by a process of its own with a work budget (``pdftext``): a small PDF can ask for
minutes of parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from vrisac.core.errors import DomainError

from . import pdftext
from .normalise import InvalidValue, Normalised, normalise, refang

MAX_TEXT_CHARS = 1_000_000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 500
#: Address space of the process that reads a PDF (it holds the interpreter, pypdf, the file
#: and the decompressed content of the budget).
PDF_MEMORY_BYTES = 1024 * 1024 * 1024
MAX_CANDIDATES = 5000

FILE_EXTENSIONS = [
    "exe", "dll", "sys", "scr", "bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse",
    "wsf", "wsh", "hta", "lnk", "msi", "msp", "iso", "img", "vhd", "vhdx", "zip", "rar",
    "7z", "gz", "tgz", "tar", "cab", "doc", "docx", "docm", "dot", "dotm", "xls", "xlsx",
    "xlsm", "xlsb", "ppt", "pptx", "pptm", "pdf", "rtf", "one", "chm", "cpl", "ocx", "drv",
    "jar", "apk", "dmg", "pkg", "elf", "so", "bin", "dat", "tmp", "iqy", "slk", "xll",
    "wll", "inf", "reg", "py", "sh", "pl", "rb", "php", "asp", "aspx", "jsp", "war", "txt",
    "log", "csv", "html", "htm", "svg",
]
_EXT = "|".join(sorted(FILE_EXTENSIONS, key=len, reverse=True))

_URL = re.compile(r"\b(?:https?|ftps?|wss?)://[^\s<>\"'`{}|\\^]{1,2000}", re.IGNORECASE)
_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.%+-]{1,64}@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}"
    r"(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})(?![\w-])"
)
_WINPATH = re.compile(
    r"(?:\b[A-Za-z]:\\|%[A-Za-z_]{1,40}%\\|\\\\[\w.$-]{1,64}\\)"
    r"(?:[^\\\s<>:\"|?*]{1,255}\\){0,64}[^\\\s<>:\"|?*,;]{0,255}"
)
_UNIXPATH = re.compile(
    r"(?<![\w.:/-])/(?:tmp|var|etc|usr|home|opt|dev|bin|sbin|root|Users|Library|Applications|"
    r"private|proc|sys|lib|lib64|srv|mnt|run|boot|media)/[^\s<>\"'`|;,]{1,1000}"
)
_REGKEY = re.compile(
    r"\b(?:HKEY_(?:LOCAL_MACHINE|CURRENT_USER|CLASSES_ROOT|USERS|CURRENT_CONFIG)|HKLM|HKCU|"
    r"HKCR|HKU|HKCC)(?:\\[^\\\s<>\"'|,;]{1,255}){1,64}"
)
_USER_AGENT = re.compile(r"(?i)\buser-agent\s*[:=]\s*[\"']?([^\r\n\"'<>]{8,512})")
_MOZILLA = re.compile(r"\bMozilla/\d\.\d \([^\r\n\"'<>]{1,600}")
_MUTEX = re.compile(r"(?i)\bmutex(?:\s*name)?\s*[:=]\s*[\"']?([^\s\"',;<>]{1,255})")
_IPV6 = re.compile(
    r"(?<![0-9A-Fa-f:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|"
    r"(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?:/\d{1,3})?(?![0-9A-Fa-f:])"
)
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?:/(?:3[0-2]|[12]?\d)(?!\d))?(?!\.?\d)"
)
_HEX = re.compile(r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{128}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}|"
                  r"[0-9A-Fa-f]{32})(?![0-9A-Za-z])")
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,7}\b", re.IGNORECASE)
_ASN = re.compile(r"\bAS(\d{1,10})\b")
_JA4 = re.compile(r"\b[tqd]\d{2}[di]\d{4}[a-z0-9]{2}_[0-9a-f]{12}_[0-9a-f]{12}\b")
_FILENAME = re.compile(rf"(?<![\w.\\/%-])[\w-][\w.-]{{0,200}}\.(?:{_EXT})(?![\w-])",
                       re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![\w@.:/\\-])(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,16}(?:[^\W\d_]{2,63}|"
    r"xn--[a-z0-9-]{1,59})(?![\w-]|\.[^\W_])"
)
_HASH_TYPES = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_TRAILING = ".,;:!?'\"”’)]}>"


@dataclass
class Candidate:
    type: str
    value: str
    group: int | None = None
    warninglists: list[str] = field(default_factory=list)
    normalised: Normalised | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value, "group": self.group,
                "warninglists": self.warninglists}


@cache
def _psl() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def _trim(value: str) -> str:
    value = value.rstrip(_TRAILING)
    # Keep a closing parenthesis that closes one opened in the value (wiki-style URLs).
    return value


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            continue
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


class _Collector:
    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[tuple[str, str], Candidate] = {}
        self.order: list[tuple[int, tuple[str, str]]] = []
        self.truncated = False

    def add(self, type_: str, raw: str, position: int, group: int | None = None) -> bool:
        try:
            item = normalise(type_, raw)
        except InvalidValue:
            return False
        key = (item.type, item.value)
        if key in self.found:
            if group is not None and self.found[key].group is None:
                self.found[key].group = group
            return True
        if len(self.found) >= MAX_CANDIDATES:
            self.truncated = True
            return True
        self.found[key] = Candidate(item.type, item.value, group, normalised=item)
        self.order.append((position, key))
        return True

    def scan(self, pattern: re.Pattern[str], type_: str, *, group_index: int = 0,
             trim: bool = True) -> None:
        spans = []
        for match in pattern.finditer(self.text):
            raw = match.group(group_index)
            if trim:
                raw = _trim(raw)
            if self.add(type_, raw, match.start()):
                spans.append((match.start(), match.start() + len(match.group(0))))
        self.text = _mask(self.text, spans)


def extract(text: str, *, with_warninglists: bool = True) -> tuple[list[Candidate], bool]:
    """The candidates in ``text``, in order of appearance, and whether the list was cut off
    at ``MAX_CANDIDATES``."""
    if len(text) > MAX_TEXT_CHARS:
        raise DomainError(_("The text is longer than %(n)s characters; split it up.")
                          % {"n": f"{MAX_TEXT_CHARS:,}"}, field="text")
    text = refang(text.replace("\x00", " "))
    collector = _Collector(text)
    collector.scan(_URL, "url")
    collector.scan(_EMAIL, "email")
    collector.scan(_USER_AGENT, "user_agent", group_index=1, trim=False)
    collector.scan(_MOZILLA, "user_agent", trim=False)
    collector.scan(_MUTEX, "mutex", group_index=1)
    collector.scan(_REGKEY, "regkey")
    collector.scan(_WINPATH, "filepath")
    collector.scan(_UNIXPATH, "filepath")
    collector.scan(_JA4, "ja4")
    for match in _IPV4.finditer(collector.text):
        collector.add("cidr" if "/" in match.group(0) else "ipv4", match.group(0), match.start())
    for match in _IPV6.finditer(collector.text):
        raw = match.group(0)
        if "::" in raw or raw.count(":") == 7 or ("/" in raw and raw.count(":") >= 2):
            collector.add("cidr" if "/" in raw else "ipv6", raw, match.start())
    _hashes(collector)
    collector.scan(_CVE, "cve")
    for match in _ASN.finditer(collector.text):
        collector.add("asn", match.group(0), match.start())
    _filenames_and_domains(collector)
    items = [collector.found[key] for _pos, key in sorted(collector.order)]
    if with_warninglists:
        from .warninglists import current_matcher

        matcher = current_matcher()
        for item in items:
            assert item.normalised is not None
            item.warninglists = matcher.hits(item.normalised)
    return items, collector.truncated


def _hashes(collector: _Collector) -> None:
    """Hashes; the hashes of different kinds on one line describe one file (a group)."""
    text = collector.text
    group = 0
    spans = []
    line_start = 0
    for line in text.splitlines(keepends=True):
        matches = list(_HEX.finditer(line))
        if matches:
            kinds = {len(m.group(0)) for m in matches}
            line_group = None
            if len(kinds) > 1 and len(matches) == len(kinds):
                group += 1
                line_group = group
            # Once per line: asked per hash, a megabyte-long line of hashes took 20 s.
            ja3_line = "ja3" in line.lower()
            for match in matches:
                raw = match.group(0)
                type_ = _HASH_TYPES[len(raw)]
                if type_ == "md5" and ja3_line:
                    type_ = "ja3"
                collector.add(type_, raw, line_start + match.start(),
                              None if type_ == "ja3" else line_group)
                spans.append((line_start + match.start(), line_start + match.end()))
        line_start += len(line)
    collector.text = _mask(text, spans)
    collector.line_groups = group  # type: ignore[attr-defined]


def _filenames_and_domains(collector: _Collector) -> None:
    psl = _psl()
    extensions = set(FILE_EXTENSIONS)
    # File names first: "invoice.zip" or "update.py" are files far more often than sites.
    spans = []
    for match in _FILENAME.finditer(collector.text):
        raw = _trim(match.group(0))
        group = None
        if collector.add("filename", raw, match.start(), group):
            spans.append(match.span())
    collector.text = _mask(collector.text, spans)
    for match in _DOMAIN.finditer(collector.text):
        raw = _trim(match.group(0)).lower()
        if raw.rsplit(".", 1)[-1] in extensions:
            continue
        try:
            ascii_name = normalise("domain", raw).value
        except InvalidValue:
            continue
        if psl.publicsuffix(ascii_name, accept_unknown=False) is None:
            continue
        registered = psl.privatesuffix(ascii_name)
        if registered is None:
            continue
        collector.add("domain" if registered == ascii_name else "hostname", ascii_name,
                      match.start())


def text_from_file(name: str, data: bytes) -> str:
    """The text of an uploaded or given file: a PDF (through pypdf) or a text file."""
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(_("The file %(f)s is larger than %(n)d MB.")
                          % {"f": name, "n": MAX_FILE_BYTES // (1024 * 1024)}, field="file")
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return _pdf_text(name, data)
    if name.lower().endswith(".pdf"):
        raise DomainError(_("The file %(f)s is called a PDF but is not one.") % {"f": name},
                          field="file")
    head = data[:8192]
    if b"\x00" in head:
        raise DomainError(_("The file %(f)s is a binary file, not text or PDF.") % {"f": name},
                          field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if len(text) > MAX_TEXT_CHARS:
        raise DomainError(_("The file %(f)s has more than %(n)s characters of text; split it "
                            "up.") % {"f": name, "n": f"{MAX_TEXT_CHARS:,}"}, field="file")
    return text


def pdf_budget() -> pdftext.Budget:
    """The work one PDF may cost (settings ``VRISAC_EXTRACT_PDF_*``)."""
    return pdftext.Budget(
        content_bytes=settings.VRISAC_EXTRACT_PDF_CONTENT_MB * 1024 * 1024,
        cpu_seconds=settings.VRISAC_EXTRACT_PDF_CPU_SECONDS, memory_bytes=PDF_MEMORY_BYTES,
        max_pages=MAX_PDF_PAGES, max_chars=MAX_TEXT_CHARS)


def _pdf_text(name: str, data: bytes) -> str:
    """The text, read by a process of its own within the budget (``pdftext``)."""
    budget = pdf_budget()
    try:
        return pdftext.read(data, budget)
    except pdftext.Refused as refused:
        raise DomainError(_refusal(name, refused, budget), field="file") from None


def _refusal(name: str, refused: pdftext.Refused, budget: pdftext.Budget) -> str:
    mb = 1024 * 1024
    worded: dict[str, tuple[str, dict[str, Any]]] = {
        "password": (_("The PDF %(f)s is protected with a password."), {}),
        "pages": (_("The PDF %(f)s has more than %(n)d pages."), {"n": MAX_PDF_PAGES}),
        "chars": (_("The PDF %(f)s has more than %(n)s characters of text; split it up."),
                  {"n": f"{MAX_TEXT_CHARS:,}"}),
        "content": (_("The PDF %(f)s needs more work to read than this server allows: more "
                      "than %(n)d MB of page content (a page that repeats content counts it "
                      "again). Split it up, or paste its text."),
                    {"n": budget.content_bytes // mb}),
        "cpu": (_("The PDF %(f)s needs more work to read than this server allows: more "
                  "processor time than its limit of %(n)d s. Split it up, or paste its text."),
                {"n": budget.cpu_seconds}),
        "memory": (_("The PDF %(f)s needs more work to read than this server allows: more "
                     "than %(n)d MB of memory. Split it up, or paste its text."),
                   {"n": budget.memory_bytes // mb}),
        "time": (_("Reading the PDF %(f)s did not finish within its limit of %(n)d s; the "
                   "server is busy. Try again later, or paste its text."),
                 {"n": budget.wall_seconds}),
    }
    message, values = worded.get(refused.reason, (
        _("The file %(f)s is not a readable PDF (%(e)s)."), {"e": refused.detail}))
    return message % {"f": name, **values}
