"""Every importer under hostile input: random bytes, valid samples mutated byte-wise, and
valid JSON samples with any part replaced by any JSON value. The importer answers with a
result or a clean refusal, never a crash; what it refuses changes nothing stored; and the
same input imported twice changes nothing the second time (no duplicates, no half-written
unit). The Markdown renderer, which turns member text into HTML, is held to its own promise:
no script, no event handler, no script URL, whatever the source.

Hypothesis profile: ``ci`` by default (a few examples per importer), ``assurance`` with
``VRISAC_HYPOTHESIS_PROFILE=assurance`` (``make assurance``)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from django.db import transaction
from hypothesis import given, note
from hypothesis import strategies as st

from tests.assurance.importers import IMPORTERS, Importer, by_name
from tests.assurance.inert import live_injections
from tests.assurance.profiles import FUZZ

pytestmark = pytest.mark.django_db

json_leaf = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
             | st.floats(allow_nan=False) | st.text(max_size=40)
             | st.sampled_from(["", "CVE-2024-0001", "CVE-1-1", "2026-13-45T99:00:00Z",
                                "cpe:2.3:a:*:*:*:*:*:*:*:*:*:*", "pkg:npm/%00", "<script>",
                                "CVSS:3.1/AV:N", "known_affected", "\x00", "9" * 400]))
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                          max_leaves=20)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


def _replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return document


@st.composite
def structural(draw: Any, importer: Importer) -> bytes:
    """A valid JSON sample with one to three of its parts replaced by arbitrary JSON."""
    document = json.loads(draw(st.sampled_from(importer.seeds)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = paths[draw(st.integers(0, len(paths) - 1))]
        document = _replace(document, path, draw(json_value))
    return json.dumps(document).encode()


@st.composite
def mutated(draw: Any, importer: Importer) -> bytes:
    """A valid sample cut short, with bytes flipped, inserted or a slice repeated."""
    data = bytearray(draw(st.sampled_from(importer.seeds)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["cut", "flip", "insert", "repeat"]))
        if how == "cut":
            del data[at:]
        elif how == "flip":
            data[at] = draw(st.integers(0, 255))
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 64))] * draw(st.integers(2, 5))
    return bytes(data)


def inputs(importer: Importer) -> st.SearchStrategy[bytes]:
    options = [st.binary(max_size=2048)]
    if importer.seeds:
        options.append(mutated(importer))
    if importer.json:
        options.append(structural(importer))
    return st.one_of(options)


def holds_up(importer: Importer, data: bytes) -> None:
    """The property of the module docstring, for one input."""
    before = importer.rows()
    try:
        accepted = importer.run(data)
    except importer.clean_errors as exc:
        note(f"refused: {exc}")
        accepted = 0
    after = importer.rows()
    if accepted == 0:
        assert after == before, f"{importer.name}: nothing accepted, yet rows changed"
    with contextlib.suppress(*importer.clean_errors):
        importer.run(data)
    assert importer.rows() == after, f"{importer.name}: the same input again changed rows"


@pytest.mark.parametrize("name", [i.name for i in IMPORTERS])
def test_importer_survives_hostile_input(name: str, settings: Any, tmp_path: Any) -> None:
    settings.VRISAC_FEED_DIR = tmp_path / "feeds"
    importer = by_name(name)

    @FUZZ
    @given(data=inputs(importer))
    def check(data: bytes) -> None:
        holds_up(importer, data)

    check()


@pytest.mark.parametrize("name", [i.name for i in IMPORTERS if i.seeds])
def test_the_seeds_are_accepted_so_the_mutations_start_from_valid_input(
        name: str, settings: Any, tmp_path: Any) -> None:
    """A seed that the importer refuses would make the fuzzing test only the refusal path."""
    settings.VRISAC_FEED_DIR = tmp_path / "feeds"
    importer = by_name(name)
    if importer.rows() == {}:
        for seed in importer.seeds:
            importer.run(seed)
        return
    for seed in importer.seeds:
        with transaction.atomic():
            before = importer.rows()
            accepted = importer.run(seed)
            assert accepted > 0 and importer.rows() != before, f"{name}: a seed was refused"
            transaction.set_rollback(True)


@FUZZ
@given(source=st.text(max_size=300) | st.sampled_from([
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))", "<img src=x onerror=alert(1)>", "![a](javascript:alert(1))",
    "<svg onload=alert(1)>", "[x](data:text/html,<script>alert(1)</script>)",
    "<a href=\"x\" onclick=\"alert(1)\">x</a>", "`<script>`", "<details open ontoggle=alert(1)>",
]))
def test_markdown_never_renders_a_live_script(source: str) -> None:
    from vrisac.core.markdown import render_markdown

    html = render_markdown(source)
    assert live_injections(f"<div>{html}</div>", marker="") == []
