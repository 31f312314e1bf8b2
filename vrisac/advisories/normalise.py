"""Names and identifiers turned into the keys the matcher looks up.

Three keys, each indexed on both sides (advisory statements and inventory items):

* ``cpe_key``: ``vendor:product`` of a CPE 2.3 name (or a CPE 2.2 URI), as NVD spells them;
* ``name_key``: ``vendor:product`` normalised (lower case, accents and punctuation gone,
  company suffixes dropped, the vendor's name dropped from the front of the product) and
  then passed through the alias table coordinators extend;
* ``purl_key``: ``type/namespace/name`` of a package URL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from packageurl import PackageURL

_COMPANY = {
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc",
    "gmbh", "ag", "bv", "nv", "sa", "sas", "plc", "srl", "oy", "ab", "as", "kg", "the",
    "systems", "software", "technologies", "technology", "international", "group",
    "holdings", "foundation",
}
#: Vendors whose NVD name differs from what people write, beyond what the rules above do.
#: The alias table (coordinators) adds to these and overrides them.
BUILT_IN_VENDOR_ALIASES = {
    "junipernetworks": "juniper", "f5networks": "f5", "hewlettpackardenterprise": "hpe",
    "hewlettpackard": "hp", "vmwarebybroadcom": "vmware", "ms": "microsoft",
    "trendmicroincorporated": "trendmicro", "sonicwallinc": "sonicwall",
}
_NON_WORD = re.compile(r"[^0-9a-z]+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _NON_WORD.sub(" ", text.replace("\\", "")).strip()


def _squash(text: str) -> str:
    return text.replace(" ", "")


def normalise_vendor(name: str) -> str:
    words = [w for w in _fold(name).split() if w not in _COMPANY]
    return " ".join(words)


def normalise_product(name: str, vendor: str = "") -> str:
    words = _fold(name).split()
    vendor_words = normalise_vendor(vendor).split()
    if vendor_words and words[: len(vendor_words)] == vendor_words and len(words) > len(
        vendor_words
    ):
        words = words[len(vendor_words):]
    return " ".join(words)


@dataclass(frozen=True)
class Aliases:
    """The alias table as two lookups; load once per batch with ``Aliases.load()``. Keys are
    compared without spaces ("Palo Alto Networks" is NVD's "paloaltonetworks")."""

    vendors: dict[str, str]
    products: dict[str, str]

    @classmethod
    def load(cls) -> Aliases:
        from .models import ProductAlias

        vendors: dict[str, str] = dict(BUILT_IN_VENDOR_ALIASES)
        products: dict[str, str] = {}
        for kind, alias, canonical in ProductAlias.objects.values_list(
            "kind", "alias", "canonical"
        ):
            if kind == ProductAlias.Kind.VENDOR:
                vendors[_squash(normalise_vendor(alias))] = _squash(normalise_vendor(canonical))
            else:
                products[_squash(_fold(alias))] = _squash(_fold(canonical))
        return cls(vendors, products)

    def name_key(self, vendor: str, product: str) -> str:
        """The ``name_key`` of a vendor and product as a person or an advisory wrote them."""
        v = _squash(normalise_vendor(vendor))
        v = self.vendors.get(v, v)
        p = _squash(normalise_product(product, vendor))
        if v and p.startswith(v) and len(p) > len(v):
            p = p[len(v):]
        p = self.products.get(p, p)
        if not v or not p:
            return ""
        return f"{v}:{p}"[:300]


NO_ALIASES = Aliases(dict(BUILT_IN_VENDOR_ALIASES), {})


# --- CPE ---------------------------------------------------------------------------------

CPE_FIELDS = ("part", "vendor", "product", "version", "update", "edition", "language",
              "sw_edition", "target_sw", "target_hw", "other")


class CpeError(ValueError):
    pass


@dataclass(frozen=True)
class Cpe:
    part: str
    vendor: str
    product: str
    version: str = "*"
    update: str = "*"
    edition: str = "*"
    language: str = "*"
    sw_edition: str = "*"
    target_sw: str = "*"
    target_hw: str = "*"
    other: str = "*"

    @property
    def key(self) -> str:
        return f"{self.vendor}:{self.product}"[:300]

    def as_23(self) -> str:
        return "cpe:2.3:" + ":".join(getattr(self, f) for f in CPE_FIELDS)

    @property
    def readable_vendor(self) -> str:
        return unescape(self.vendor).replace("_", " ")

    @property
    def readable_product(self) -> str:
        return unescape(self.product).replace("_", " ")


def _split_23(text: str) -> list[str]:
    parts: list[str] = []
    current = []
    escaped = False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@lru_cache(maxsize=65536)
def parse_cpe(text: str) -> Cpe:
    """A CPE 2.3 formatted string or a CPE 2.2 URI; raises ``CpeError`` when it is neither."""
    text = (text or "").strip()
    if len(text) > 500:
        raise CpeError("longer than 500 characters")
    lowered = text.lower()
    if lowered.startswith("cpe:2.3:"):
        fields = _split_23(text[8:])
        if len(fields) != 11:
            raise CpeError(f"has {len(fields)} components instead of 11")
    elif lowered.startswith("cpe:/"):
        fields = [unescape_uri(f) for f in text[5:].split(":")]
        if len(fields) > 7:
            raise CpeError("too many components for a CPE 2.2 URI")
        fields = (fields + ["*"] * 11)[:11]
        fields = [f if f != "" else "*" for f in fields]
    else:
        raise CpeError("does not start with cpe:2.3: or cpe:/")
    fields = [f.lower() for f in fields]
    if fields[0] not in ("a", "o", "h", "*"):
        raise CpeError(f"part {fields[0]!r} is not a, o or h")
    if not fields[1] or not fields[2] or fields[1] in ("*", "-") or fields[2] in ("*", "-"):
        raise CpeError("has no vendor or product")
    return Cpe(*fields)


def unescape_uri(value: str) -> str:
    from urllib.parse import unquote

    value = unquote(value)
    return re.sub(r"([^0-9A-Za-z_~.\-])", r"\\\1", value) if value else value


def cpe_value_matches(pattern: str, value: str) -> bool:
    """One CPE component: ``*`` (ANY) on either side matches; ``-`` (NA) only itself."""
    if pattern == "*" or value == "*":
        return True
    return pattern == value


# --- purl --------------------------------------------------------------------------------


class PurlError(ValueError):
    pass


@lru_cache(maxsize=65536)
def parse_purl(text: str) -> PackageURL:
    try:
        return PackageURL.from_string((text or "").strip())
    except ValueError as exc:
        raise PurlError(str(exc)) from None


def purl_key(purl: PackageURL) -> str:
    namespace = (purl.namespace or "").lower()
    return f"{purl.type}/{namespace}/{purl.name.lower()}"[:300]


def inventory_keys(vendor: str, product: str, cpe: str, purl: str, aliases: Aliases
                   ) -> dict[str, str]:
    """The lookup keys of an inventory item; raises ``CpeError``/``PurlError`` on a bad
    CPE or purl (the caller names the field)."""
    keys = {"name_key": aliases.name_key(vendor, product), "cpe_key": "", "cpe_name_key": "",
            "purl_key": ""}
    if cpe:
        parsed = parse_cpe(cpe)
        keys["cpe_key"] = parsed.key
        keys["cpe_name_key"] = aliases.name_key(parsed.readable_vendor, parsed.readable_product)
    if purl:
        keys["purl_key"] = purl_key(parse_purl(purl))
    return keys
