"""Attachment files: type checked by content, stored outside the web root under a random
name, read back only through a permission-checked download."""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from vrisac.core.errors import DomainError

#: Detected type -> (content type served, extensions accepted for it).
BINARY_TYPES: dict[str, tuple[str, set[str]]] = {
    "pdf": ("application/pdf", {"pdf"}),
    "png": ("image/png", {"png"}),
    "jpg": ("image/jpeg", {"jpg", "jpeg"}),
    "gif": ("image/gif", {"gif"}),
    "webp": ("image/webp", {"webp"}),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             {"docx"}),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"xlsx"}),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
             {"pptx"}),
    "odt": ("application/vnd.oasis.opendocument.text", {"odt"}),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", {"ods"}),
}
TEXT_EXTENSIONS = {"txt", "csv", "json", "log", "md", "eml", "yar", "yara", "rules", "stix",
                   "xml", "ioc"}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    size: int
    sha256: str
    content_type: str
    filename: str


def safe_filename(name: str) -> str:
    name = unicodedata.normalize("NFC", os.path.basename(name or "")).strip()
    cleaned = "".join(c for c in name if c.isprintable() and c not in '\\/:*?"<>|;')
    return cleaned[:200] or "bijlage"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


def detect(head: bytes, filename: str) -> str:
    """The content type to store, or a DomainError saying why the file is refused."""
    ext = _extension(filename)
    kind = filetype.guess(head)
    if kind is not None and kind.extension in BINARY_TYPES:
        content_type, extensions = BINARY_TYPES[kind.extension]
        if ext not in extensions:
            raise DomainError(
                _("The file %(name)s is a %(kind)s file but its name ends in .%(ext)s.")
                % {"name": filename, "kind": kind.extension.upper(), "ext": ext or "?"},
                field="file",
            )
        return content_type
    if kind is None and ext in TEXT_EXTENSIONS and _is_text(head):
        return "text/plain; charset=utf-8"
    raise DomainError(
        _("The type of %(name)s is not accepted. Accepted: PDF, images, office documents "
          "and text files.") % {"name": filename},
        field="file",
    )


def root() -> Path:
    path = Path(settings.ATTACHMENT_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path_for(storage_name: str) -> Path:
    if not storage_name.isalnum():
        raise ValueError("bad storage name")
    return root() / storage_name[:2] / storage_name


def store(stream: IO[bytes], filename: str, storage_name: str) -> StoredFile:
    """Write the upload under ``storage_name``; refuse it before anything is kept when it is
    too large or of a type not accepted."""
    filename = safe_filename(filename)
    limit = settings.ATTACHMENT_MAX_BYTES
    head = stream.read(8192)
    content_type = detect(head, filename)
    target = _path_for(storage_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise DomainError(
                        _("%(name)s is larger than the limit of %(mb)d MB.")
                        % {"name": filename, "mb": limit // (1024 * 1024)},
                        field="file",
                    )
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(CHUNK)
        if size == 0:
            raise DomainError(_("%(name)s is empty.") % {"name": filename}, field="file")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StoredFile(storage_name, size, digest.hexdigest(), content_type, filename)


def remove(storage_name: str) -> None:
    _path_for(storage_name).unlink(missing_ok=True)


def read_chunks(storage_name: str) -> Iterator[bytes]:
    with open(_path_for(storage_name), "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
