"""Attachments at rest: encrypted in authenticated chunks, readable with any configured key,
refused when altered, cut off or moved to another name; rotation; production without a key."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

from vrisac.core.errors import DomainError
from vrisac.reports import attachments as files

KEY_A = files.new_key_text()
KEY_B = files.new_key_text()


def stored_path(settings: Any, name: str) -> Path:
    return Path(settings.ATTACHMENT_ROOT) / name[:2] / name


def payload(size: int) -> bytes:
    return os.urandom(size)


@pytest.mark.parametrize("size", [1, files.CHUNK - 1, files.CHUNK, files.CHUNK + 1,
                                  3 * files.CHUNK + 17])
def test_round_trip_across_chunk_edges(settings: Any, size: int) -> None:
    settings.VRISAC_ATTACHMENT_KEYS = [KEY_A]
    data = payload(size)
    stored = files.store(_TextLike(data), "notes.txt", "a1" * 16)
    assert stored.size == len(data) + 8192
    assert b"".join(files.read_chunks("a1" * 16)) == b"x" * 8192 + data
    raw = stored_path(settings, "a1" * 16).read_bytes()
    assert b"x" * 64 not in raw and (size < 64 or data[:64] not in raw)


class _TextLike(io.BytesIO):
    """Random bytes that pass the text-type check: the check only reads the first 8 KiB."""

    def __init__(self, data: bytes) -> None:
        super().__init__(b"x" * 8192 + data)


def test_altered_truncated_or_moved_files_are_refused(settings: Any) -> None:
    settings.VRISAC_ATTACHMENT_KEYS = [KEY_A]
    files.store(_TextLike(payload(3 * files.CHUNK)), "notes.txt", "b1" * 16)
    path = stored_path(settings, "b1" * 16)
    original = path.read_bytes()
    altered = bytearray(original)
    altered[len(original) // 2] ^= 1
    path.write_bytes(bytes(altered))
    with pytest.raises(files.DamagedFile, match="failed its check"):
        b"".join(files.read_chunks("b1" * 16))
    path.write_bytes(original[: len(files.MAGIC) + 12 + files.CHUNK + 16])  # last chunks cut
    with pytest.raises(files.DamagedFile):
        b"".join(files.read_chunks("b1" * 16))
    moved = stored_path(settings, "c1" * 16)
    moved.parent.mkdir(parents=True, exist_ok=True)
    moved.write_bytes(original)  # another file's name: its chunks do not belong here
    with pytest.raises(files.DamagedFile):
        b"".join(files.read_chunks("c1" * 16))


def test_rotation_keeps_files_readable_and_rewrites_them(settings: Any, capsys: Any,
                                                         db: Any) -> None:
    settings.VRISAC_ATTACHMENT_KEYS = [KEY_A]
    data = b"indicator list\n" * 500
    files.store(io.BytesIO(data), "iocs.txt", "d1" * 16)
    settings.VRISAC_ATTACHMENT_KEYS = [KEY_B, KEY_A]
    assert b"".join(files.read_chunks("d1" * 16)) == data  # old key still reads
    call_command("attachment_key", "rotate")
    assert "1 of 1" in capsys.readouterr().out
    settings.VRISAC_ATTACHMENT_KEYS = [KEY_B]
    assert b"".join(files.read_chunks("d1" * 16)) == data  # the old key is no longer needed
    settings.VRISAC_ATTACHMENT_KEYS = [KEY_A]
    with pytest.raises(files.DamagedFile, match="not configured"):
        b"".join(files.read_chunks("d1" * 16))


def test_production_without_a_key_refuses_uploads_and_says_so(settings: Any) -> None:
    settings.VRISAC_ATTACHMENT_KEYS = []
    settings.VRISAC_ATTACHMENT_KEY_FILE_ALLOWED = False
    with pytest.raises(DomainError, match="VRISAC_ATTACHMENT_KEYS"):
        files.store(io.BytesIO(b"hello"), "a.txt", "e1" * 16)
    assert not any(Path(settings.ATTACHMENT_ROOT).rglob("e1*")) if Path(
        settings.ATTACHMENT_ROOT).exists() else True
    ids = [m.id for m in run_checks()]
    assert "vrisac.I001" in ids
    settings.VRISAC_ATTACHMENT_KEYS = ["not-a-key"]
    assert "vrisac.E001" in [m.id for m in run_checks()]


def test_new_key_command_prints_a_usable_key(capsys: Any) -> None:
    call_command("attachment_key", "new")
    text = capsys.readouterr().out.strip()
    assert files._key_from_text(text).id
