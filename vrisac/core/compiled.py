"""Policy-filtered queries compiled once per viewer, run many times.

Building a policy-filtered queryset (``Indicator.objects.visible_to``) costs the ORM about a
millisecond, ten times what the database needs for an indexed look-up. The hot paths (exact
and network look-ups, the range parts of the correlation) therefore compile the very same
queryset once per viewer and shape, and run that SQL with new values in place of markers:
the policy is still the one in ``vrisac.sharing.policy``, only its compilation is reused.
A viewer is immutable (user, organisations, roles), so a changed membership is a new key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

from vrisac.sharing.policy import Viewer, viewer_for

_MARKER = "\x00vrisac-intel-marker-"
_COMPILED: OrderedDict[tuple[Any, ...], tuple[str, list[Any], list[int]]] = OrderedDict()
_COMPILED_MAX = 1024

Build = Callable[[list[Any]], Any]


def _marker(n: int, kind: type) -> Any:
    text = f"{_MARKER}{n}"
    return text.encode() if kind is bytes else text


def _marker_index(param: Any) -> int | None:
    raw = getattr(param, "obj", param)
    if isinstance(raw, bytes | memoryview | bytearray):
        raw = bytes(raw).decode("latin-1")
    if isinstance(raw, str) and raw.startswith(_MARKER):
        return int(raw[len(_MARKER):])
    return None


def compiled(shape: str, viewer: Viewer, kinds: Sequence[type], build: Build
             ) -> tuple[str, list[Any], list[int]]:
    """(sql, params, positions of the markers) for ``build(markers)``, from the cache."""
    key = (shape, viewer, tuple(kinds), connection.vendor)
    found = _COMPILED.get(key)
    if found is None:
        # Distinct markers: the ORM drops repeated values from an IN list.
        marks = [_marker(n, kind) for n, kind in enumerate(kinds)]
        sql, params = build(marks).query.sql_with_params()
        params = list(params)
        found_at = {_marker_index(p): i for i, p in enumerate(params)}
        positions = [found_at[n] for n in range(len(kinds)) if n in found_at]
        if len(positions) != len(kinds):
            raise RuntimeError(f"cannot compile the look-up {shape}")
        found = (sql, params, positions)
        _COMPILED[key] = found
        if len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.popitem(last=False)
    else:
        _COMPILED.move_to_end(key)
    return found


def _fill(params: list[Any], positions: list[int], values: Sequence[Any]) -> list[Any]:
    params = list(params)
    for position, value in zip(positions, values, strict=True):
        params[position] = value
    return params


def run(shape: str, user: Any, values: list[Any], build: Build) -> list[tuple[Any, ...]]:
    """Run the compiled ``build`` with ``values`` in place of its markers."""
    sql, params, positions = compiled(shape, viewer_for(user), [type(v) for v in values],
                                      build)
    return fetch(sql, _fill(params, positions, values))


_QMARK: dict[str, str] = {}


def fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run a compiled statement on the current connection and transaction.

    On SQLite, while nothing logs or wraps queries (``DEBUG``, the tests' query counting, an
    ``execute_wrapper``), this skips the per-call work of Django's cursor wrapper, which for
    a long policy statement costs more than SQLite needs to answer it: the ``%s`` to ``?``
    rewrite of the whole statement is done once and kept. Otherwise, and on PostgreSQL, it
    is Django's cursor. Errors are Django's database errors either way.
    """
    if (connection.vendor != "sqlite" or connection.queries_logged
            or connection.execute_wrappers):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    raw = connection.connection
    with connection.wrap_database_errors:
        qmark = _QMARK.get(sql)
        if qmark is None:
            from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

            qmark = _QMARK[sql] = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
            if len(_QMARK) > _COMPILED_MAX:
                _QMARK.clear()
        plain = raw.cursor()
        try:
            plain.execute(qmark, params)
            return plain.fetchall()
        finally:
            plain.close()


def run_many(shape: str, user: Any, value_sets: Sequence[Sequence[Any]], build: Build
             ) -> list[tuple[Any, ...]]:
    """Run the compiled ``build`` once per value set, as ONE statement (UNION ALL); each row
    comes back with the index of its value set first."""
    if not value_sets:
        return []
    kinds = [type(v) for v in value_sets[0]]
    sql, params, positions = compiled(shape, viewer_for(user), kinds, build)
    parts: list[str] = []
    all_params: list[Any] = []
    for index, values in enumerate(value_sets):
        parts.append(f"SELECT {int(index)} AS set_index, part.* FROM ({sql}) part")  # noqa: S608
        all_params += _fill(params, positions, values)
    rows: list[tuple[Any, ...]] = []
    count = len(params)
    for start in range(0, len(parts), 200):
        chunk = parts[start:start + 200]
        rows += fetch(" UNION ALL ".join(chunk),
                      all_params[start * count:(start + len(chunk)) * count])
    return rows
