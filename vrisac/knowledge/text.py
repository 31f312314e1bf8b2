"""Checks on text typed by people (coordinators, members, anonymous visitors)."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from vrisac.core.errors import DomainError

_SPACES = re.compile(r"\s+")
#: Characters that end a line somewhere: never allowed in a one-line field or a mail header.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _is_control(char: str, multiline: bool) -> bool:
    if multiline and char in "\n\r\t":
        return False
    if char in _LINE_BREAKS:
        return True
    return unicodedata.category(char) in ("Cc", "Cs") or (
        unicodedata.category(char) == "Cf" and char not in "\u200d\u00ad")


def clean_text(value: str | None, *, field: str, label: str, max_length: int,
               required: bool = False, multiline: bool = False) -> str:
    """The trimmed text, or a ``DomainError`` naming the field: empty when required, too
    long, or with control characters (in a one-line field: any line break)."""
    text = (value or "").strip()
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if required and not text:
        raise DomainError(_("%(field)s is required.") % {"field": label}, field=field)
    if len(text) > max_length:
        raise DomainError(
            _("%(field)s is longer than %(n)s characters.") % {"field": label, "n": max_length},
            field=field)
    if any(_is_control(c, multiline) for c in text):
        raise DomainError(
            _("%(field)s contains line breaks or control characters.") % {"field": label}
            if not multiline else
            _("%(field)s contains control characters.") % {"field": label},
            field=field)
    return text


def single_line(value: str, max_length: int = 150) -> str:
    """Text made safe for one line of a mail header: every control or line-break character
    becomes a space, runs of spaces one space."""
    cleaned = "".join(" " if _is_control(c, False) else c for c in value or "")
    cleaned = _SPACES.sub(" ", cleaned).strip()
    return cleaned[:max_length]
