"""Paths of objects, for lists that link every row.

``reverse()`` walks the URL resolver on every call (about 40 µs); a list of 50 indicators
links each to its indicator and its source. ``object_path`` reverses a URL name once (per
URLconf, script prefix and language) with a marker in place of the key and afterwards only
puts the key in: the same path ``reverse(name, args=[pk])`` gives, for URLs whose one argument
is an integer key.
"""

from __future__ import annotations

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

_MARKER = 7_919_000_000_000_013
_SPLIT: dict[tuple[object, ...], tuple[str, str]] = {}


def object_path(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a URL taking one integer key."""
    key = (name, get_urlconf(), get_script_prefix(), get_language())
    split = _SPLIT.get(key)
    if split is None:
        before, marker, after = reverse(name, args=[_MARKER]).partition(str(_MARKER))
        if not marker or str(_MARKER) in after:
            raise ValueError(f"{name} does not take one integer key")
        split = _SPLIT[key] = (before, after)
    return f"{split[0]}{int(pk)}{split[1]}"
