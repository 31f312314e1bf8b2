"""Versions compared the way vendors write them.

Real feeds contain ``vers:all/<V2302.0016``, ``>v33.011|<v33.015``, ``12.1-55.300``,
``4.1.108.Final``, ``12.2(55)SE3``, "all versions", build and fix-pack suffixes ("9.2
Corefix 14", "build 1234", "FP3"). Two versions are compared token by token (numbers as
numbers, pre-releases below releases, build/fix-pack words as separators); where the tokens
disagree in kind (a word against a number, two different words) the answer is
``Uncomparable``, never a guess. Package ecosystems with an exact version scheme (npm, PyPI,
Maven, Debian, RPM, ...) are compared with ``univers``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from univers.version_range import RANGE_CLASS_BY_SCHEMES


class Uncomparable(ValueError):
    """The two versions cannot be ordered with confidence."""


_PRE = {"dev": -4, "snapshot": -4, "alpha": -3, "a": -3, "beta": -2, "b": -2, "pre": -1,
        "preview": -1, "rc": -1, "cr": -1}
#: Words that separate numbers but carry no order of their own.
_SEPARATORS = {
    "build", "bld", "b", "corefix", "fix", "fixpack", "fp", "sp", "servicepack", "service",
    "pack", "update", "u", "patch", "p", "hotfix", "hf", "cu", "r", "rev", "release", "final",
    "ga", "version", "ver", "v", "stable", "ltsr", "lts", "mr", "refresh", "x",
}
_TOKEN = re.compile(r"\d+|[a-z]+")
UNKNOWN_WORDS = {"", "-", "n/a", "na", "unknown", "unspecified", "none", "0.0.0-unknown"}
ALL_WORDS = {"*", "all", "all versions", "alle versies", "any", "every version", "vers:all/*"}

Token = tuple[int, int | str]  # (0, number) | (1, pre rank) | (2, word)


@functools.lru_cache(maxsize=262144)
def tokens(version: str) -> tuple[Token, ...]:
    text = version.strip().lower()
    out: list[Token] = []
    for part in _TOKEN.findall(text):
        if part.isdigit():
            out.append((0, int(part)))
        elif part in _PRE:
            out.append((1, _PRE[part]))
        elif part in _SEPARATORS:
            continue
        else:
            out.append((2, part))
    return tuple(out)


def is_unknown(version: str) -> bool:
    return (version or "").strip().lower() in UNKNOWN_WORDS


def _vendor_compare(a: str, b: str) -> int:
    ta, tb = tokens(a), tokens(b)
    if not ta and not tb:
        if a.strip().lower() == b.strip().lower():
            return 0
        raise Uncomparable(f"{a!r} and {b!r} have no version numbers")
    if not ta or not tb:
        raise Uncomparable(f"{a if not ta else b!r} has no version number")
    for i in range(max(len(ta), len(tb))):
        x = ta[i] if i < len(ta) else None
        y = tb[i] if i < len(tb) else None
        if x == y:
            continue
        if x is None or y is None:
            # One version is longer: its extra number makes it newer (unless it is 0), its
            # pre-release makes it older, an extra word cannot be ordered.
            longer_is_a = y is None
            extra = x if longer_is_a else y
            assert extra is not None
            kind, value = extra
            if kind == 0:
                if value == 0:
                    continue
                return 1 if longer_is_a else -1
            if kind == 1:
                return -1 if longer_is_a else 1
            raise Uncomparable(f"{a!r} and {b!r} differ in {value!r}")
        if x[0] == 2 or y[0] == 2:
            raise Uncomparable(f"{a!r} and {b!r} differ in {x[1]!r} against {y[1]!r}")
        if x[0] != y[0]:
            return 1 if x[0] < y[0] else -1  # a number is above a pre-release
        return 1 if x[1] > y[1] else -1  # type: ignore[operator]
    return 0


def compare(a: str, b: str, scheme: str | None = None) -> int:
    """-1, 0 or 1; raises ``Uncomparable``. ``scheme`` is a purl type or a vers scheme."""
    if is_unknown(a) or is_unknown(b):
        raise Uncomparable("a version is unknown")
    range_class: Any = RANGE_CLASS_BY_SCHEMES.get(scheme or "")
    if range_class is not None and scheme not in ("generic", "all", "none", "intdot"):
        try:
            va = range_class.version_class(a.strip())
            vb = range_class.version_class(b.strip())
            return (va > vb) - (va < vb)
        except Exception:  # noqa: S110 - univers raises many kinds; fall back below
            pass
    return _vendor_compare(a, b)


@dataclass(frozen=True)
class Constraint:
    comparator: str  # "=", "!=", "<", "<=", ">", ">="
    version: str

    def __str__(self) -> str:
        return f"{self.comparator}{self.version}"


@dataclass(frozen=True)
class Expression:
    """A set of versions: all of them, or constraints in the ``vers`` sense."""

    all: bool
    constraints: tuple[Constraint, ...] = ()
    scheme: str | None = None
    text: str = ""


_OPS = ("<=", ">=", "!=", "<", ">", "=")
_WORDY = [
    (re.compile(r"^(?:before|prior to|earlier than|below|lower than|vóór|voor)\s+(.+)$"), "<"),
    (re.compile(r"^(?:through|up to(?: and including)?|t/m|tot en met)\s+(.+)$"), "<="),
    (re.compile(r"^(.+?)\s+(?:and|or)\s+(?:earlier|prior|before|lower|below|older)$"), "<="),
    (re.compile(r"^(.+?)\s+(?:and|or)\s+(?:later|above|higher|newer|after)$"), ">="),
    (re.compile(r"^(?:from|since|vanaf)\s+(.+)$"), ">="),
]


class ExpressionError(ValueError):
    pass


def _one(text: str) -> list[Constraint]:
    text = text.strip()
    if not text:
        return []
    for op in _OPS:
        if text.startswith(op):
            version = text[len(op):].strip()
            if not version:
                raise ExpressionError(f"{text!r} has no version after {op}")
            return [Constraint(op, version)]
    lowered = text.lower()
    for pattern, op in _WORDY:
        match = pattern.match(lowered)
        if match:
            return [Constraint(op, text[match.start(1):match.end(1)].strip())]
    wildcard = re.match(r"^(\d+(?:\.\d+)*)\.(?:x|\*)$", lowered)
    if wildcard:
        prefix = wildcard.group(1)
        numbers = prefix.split(".")
        upper = ".".join([*numbers[:-1], str(int(numbers[-1]) + 1)])
        return [Constraint(">=", prefix), Constraint("<", upper)]
    return [Constraint("=", text)]


@functools.lru_cache(maxsize=65536)
def parse_expression(text: str) -> Expression:
    """``vers:<scheme>/<c>|<c>``, ``>v33.011|<v33.015``, ``< 4.1.108.Final``, ``>= 2.0, < 2.4``,
    "2.4 and earlier", "13.x", "all versions", or a single version."""
    raw = (text or "").strip()
    lowered = raw.lower()
    if lowered in ALL_WORDS:
        return Expression(all=True, text=raw)
    scheme = None
    body = raw
    if lowered.startswith("vers:"):
        head, sep, rest = raw[5:].partition("/")
        if not sep:
            raise ExpressionError(f"{raw!r} has no '/' after the vers scheme")
        scheme = head.lower()
        body = rest
        if body.strip() == "*":
            return Expression(all=True, scheme=scheme, text=raw)
    parts = re.split(r"\||,|;|\s+and\s+(?=[<>=!])", body)
    constraints: list[Constraint] = []
    for part in parts:
        constraints.extend(_one(part))
    if not constraints:
        raise ExpressionError(f"{raw!r} names no version")
    return Expression(all=False, constraints=tuple(constraints), scheme=scheme, text=raw)


def _satisfies(cmp: int, comparator: str) -> bool:
    return {
        "=": cmp == 0, "!=": cmp != 0, "<": cmp < 0, "<=": cmp <= 0, ">": cmp > 0,
        ">=": cmp >= 0,
    }[comparator]


def contains(expression: Expression, version: str, scheme: str | None = None) -> bool:
    """Whether ``version`` is in the set (the ``vers`` containment rules); raises
    ``Uncomparable``."""
    if expression.all:
        return True
    scheme = expression.scheme or scheme
    cmp: Callable[[str, str], int] = functools.partial(compare, scheme=scheme)
    constraints = expression.constraints
    for c in constraints:
        if c.comparator == "=" and cmp(version, c.version) == 0:
            return True
        if c.comparator == "!=" and cmp(version, c.version) == 0:
            return False
    ranges: Sequence[Constraint] = sorted(
        (c for c in constraints if c.comparator in ("<", "<=", ">", ">=")),
        key=functools.cmp_to_key(lambda x, y: cmp(x.version, y.version)),  # type: ignore[attr-defined]
    )
    if not ranges:
        return all(c.comparator == "!=" for c in constraints)
    last = len(ranges) - 1
    for i, c in enumerate(ranges):
        holds = _satisfies(cmp(version, c.version), c.comparator)
        if c.comparator in ("<", "<=") and i == 0 and holds:
            return True
        if c.comparator in (">", ">="):
            if i == last and holds:
                return True
            following = ranges[i + 1] if i < last else None
            if (following is not None and following.comparator in ("<", "<=") and holds
                    and _satisfies(cmp(version, following.version), following.comparator)):
                return True
    return False


def in_range(version: str, *, start: str = "", start_incl: bool = True, end: str = "",
             end_incl: bool = False, scheme: str | None = None) -> bool:
    """NVD's versionStart/End Including/Excluding; raises ``Uncomparable``."""
    if start:
        c = compare(version, start, scheme)
        if c < 0 or (c == 0 and not start_incl):
            return False
    if end:
        c = compare(version, end, scheme)
        if c > 0 or (c == 0 and not end_incl):
            return False
    return True


def describe_range(*, start: str = "", start_incl: bool = True, end: str = "",
                   end_incl: bool = False) -> str:
    parts = []
    if start:
        parts.append(f"{'>=' if start_incl else '>'} {start}")
    if end:
        parts.append(f"{'<=' if end_incl else '<'} {end}")
    return ", ".join(parts) or "*"


MINOR_SPAN = 1_000_000
_NO_MINOR = MINOR_SPAN - 1


def major(version: str) -> int | None:
    """The first number of a version, when the version starts with one."""
    first = tokens(version or "")[:1]
    return int(first[0][1]) if first and first[0][0] == 0 else None


def line(version: str, *, exact: bool = False) -> int | None:
    """The first two numbers of a version as one sortable number (major, minor): where
    both versions start with numbers, a version in a higher line is the greater, whatever
    follows. ``exact``: the version stands for its whole line (a CSAF product version "4"
    covers "4.6"), so only its major counts. None when it does not start with a number."""
    found = tokens(version or "")[:2]
    if not found or found[0][0] != 0:
        return None
    first = min(int(found[0][1]), 10**12)
    if exact:
        return first * MINOR_SPAN + _NO_MINOR
    second = int(found[1][1]) if len(found) > 1 and found[1][0] == 0 else 0
    return first * MINOR_SPAN + min(second, _NO_MINOR)


def affected_bound(statement: dict[str, Any]) -> int | None:
    """For an "affected" statement with an upper end (or one exact version) compared the
    vendor's way: the ``line`` of that end. An item in a higher line is outside it, whatever
    follows. None where no such bound holds (fixed and not-affected statements, package
    URLs with their own version schemes, start-only ranges, expressions, all versions)."""
    if statement.get("status", "affected") != "affected" or statement.get("purl_key") or \
            statement.get("all_versions"):
        return None
    if statement.get("version_end"):
        return line(statement["version_end"])
    if statement.get("version_exact") and not statement.get("version_start"):
        return line(statement["version_exact"], exact=True)
    return None
