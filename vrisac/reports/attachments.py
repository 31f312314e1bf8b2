"""Attachment files: type checked by content, encrypted at rest, stored outside the web root
under a random name, read back only through a permission-checked download.

Encryption: AES-256-GCM in chunks of 64 KiB (the "STREAM" construction: a random prefix and a
counter per chunk as nonce, the storage name and a last-chunk flag as associated data), so
files are encrypted and decrypted as streams, chunks cannot be reordered, swapped between
files or cut off unnoticed. Keys come from ``VRISAC_ATTACHMENT_KEYS`` (see ``keys()``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
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
MAGIC = b"VRA1"
_TAG = 16


class AttachmentKeyMissing(DomainError):
    code = "attachment_key"


@dataclass(frozen=True)
class Key:
    id: bytes
    aead: AESGCM


def _key_from_text(text: str) -> Key:
    raw = base64.urlsafe_b64decode(text.strip().encode() + b"=" * (-len(text.strip()) % 4))
    if len(raw) != 32:
        raise ValueError("an attachment key is 32 random bytes in URL-safe base64")
    return Key(id=hashlib.sha256(raw).digest()[:4], aead=AESGCM(raw))


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def keys() -> list[Key]:
    """The keys, newest first: files are written with the first and read with any.

    ``VRISAC_ATTACHMENT_KEYS`` holds comma-separated keys (`vrisac attachment_key new` makes
    one). The embedded default and the test suite keep a generated key in the data folder;
    production without the variable refuses new uploads rather than store them in clear.
    """
    configured = list(getattr(settings, "VRISAC_ATTACHMENT_KEYS", []))
    if configured:
        return [_key_from_text(k) for k in configured]
    if getattr(settings, "VRISAC_ATTACHMENT_KEY_FILE_ALLOWED", False):
        path = Path(settings.DATA_DIR) / "attachment.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(new_key_text())
        return [_key_from_text(path.read_text())]
    return []


def _nonce(prefix: bytes, counter: int) -> bytes:
    return prefix + counter.to_bytes(4, "big")


def _aad(storage_name: str, last: bool) -> bytes:
    return storage_name.encode() + (b"|last" if last else b"|more")


def _encrypting(chunks: Iterator[bytes], storage_name: str, key: Key) -> Iterator[bytes]:
    prefix = os.urandom(8)
    yield MAGIC + key.id + prefix
    counter = 0
    pending = next(chunks, None)
    while pending is not None:
        following = next(chunks, None)
        last = following is None
        yield key.aead.encrypt(_nonce(prefix, counter), pending,
                               _aad(storage_name, last))
        counter += 1
        pending = following


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
    """Encrypt the upload under ``storage_name``; refuse it before anything is kept when it
    is too large or of a type not accepted."""
    filename = safe_filename(filename)
    limit = settings.ATTACHMENT_MAX_BYTES
    available = keys()
    if not available:
        raise AttachmentKeyMissing(
            _("Files cannot be stored: the encryption key for attachments is not configured "
              "(VRISAC_ATTACHMENT_KEYS). Ask the platform's administrator."),
            field="file",
        )
    head = _read_full(stream, CHUNK)
    content_type = detect(head[:8192], filename)
    target = _path_for(storage_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0

    def plaintext() -> Iterator[bytes]:
        nonlocal size
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
            yield chunk
            chunk = _read_full(stream, CHUNK)

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            for block in _encrypting(plaintext(), storage_name, available[0]):
                out.write(block)
        if size == 0:
            raise DomainError(_("%(name)s is empty.") % {"name": filename}, field="file")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StoredFile(storage_name, size, digest.hexdigest(), content_type, filename)


def _read_full(stream: IO[bytes], size: int) -> bytes:
    """Read up to ``size`` bytes, looping over short reads, so chunks line up on decryption."""
    parts = []
    wanted = size
    while wanted:
        part = stream.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def remove(storage_name: str) -> None:
    _path_for(storage_name).unlink(missing_ok=True)


class DamagedFile(Exception):
    """A stored file failed its integrity check (altered, cut off, or of another key)."""


def read_chunks(storage_name: str) -> Iterator[bytes]:
    """The plaintext of a stored file, chunk by chunk, each chunk authenticated."""
    with open(_path_for(storage_name), "rb") as handle:
        header = handle.read(len(MAGIC) + 4 + 8)
        if not header.startswith(MAGIC):
            raise DamagedFile(f"{storage_name}: not an encrypted attachment")
        key_id, prefix = header[4:8], header[8:16]
        key = next((k for k in keys() if k.id == key_id), None)
        if key is None:
            raise DamagedFile(f"{storage_name}: encrypted with a key that is not configured")
        counter = 0
        block = handle.read(CHUNK + _TAG)
        while block:
            following = handle.read(CHUNK + _TAG)
            last = not following
            try:
                yield key.aead.decrypt(_nonce(prefix, counter), block, _aad(storage_name, last))
            except InvalidTag:
                raise DamagedFile(f"{storage_name}: chunk {counter} failed its check") from None
            counter += 1
            block = following


def reencrypt(storage_name: str) -> bool:
    """Write a stored file again under the newest key (key rotation); False if it already is."""
    available = keys()
    path = _path_for(storage_name)
    with open(path, "rb") as handle:
        if handle.read(8)[4:8] == available[0].id:
            return False
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rotate-")
    try:
        with os.fdopen(fd, "wb") as out:
            for block in _encrypting(read_chunks(storage_name), storage_name, available[0]):
                out.write(block)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def stored_names() -> Iterator[str]:
    for path in root().glob("*/*"):
        if path.is_file() and path.name.isalnum():
            yield path.name


def download_response(*, storage_name: str, filename: str, content_type: str, size: int
                      ) -> StreamingHttpResponse:
    """A stored file as an attachment that no browser renders in the platform's origin."""
    chunks = read_chunks(storage_name)
    first = next(chunks, b"")  # header and key problems surface before the response starts

    def body() -> Iterator[bytes]:
        yield first
        yield from chunks

    response = StreamingHttpResponse(body(), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
