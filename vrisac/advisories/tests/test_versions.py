"""Versions as vendors write them, and CPE/purl/name keys."""

from __future__ import annotations

import pytest

from vrisac.advisories import versions as V
from vrisac.advisories.normalise import NO_ALIASES, Aliases, CpeError, parse_cpe


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("12.1-55.300", "12.1-55.321", -1),
    ("13.1-49.15", "13.1-49.13", 1),
    ("4.1.108.Final", "4.1.108", 0),
    ("1.0rc1", "1.0", -1),
    ("1.0.0-alpha", "1.0.0-rc2", -1),
    ("2.0", "2", 0),
    ("2.0.1", "2", 1),
    ("V2302.0012", "V2302.0016", -1),
    ("v33.013", "v33.011", 1),
    ("9.2 Corefix 14", "9.2 Corefix 9", 1),
    ("9.2 Corefix 14", "9.2", 1),
    ("7.0 build 1234", "7.0 build 1300", -1),
    ("11.5 FP3", "11.5 FP10", -1),
    ("12.2(55)SE3", "12.2(55)SE10", -1),
])
def test_vendor_versions_compare(a: str, b: str, expected: int) -> None:
    assert V.compare(a, b) == expected
    assert V.compare(b, a) == -expected


@pytest.mark.parametrize(("a", "b"), [
    ("12.2(55)SE3", "12.2(55)EX1"),   # different release trains
    ("", "1.0"),
    ("n/a", "1.0"),
    ("latest", "1.0"),
])
def test_uncomparable_versions_are_never_guessed(a: str, b: str) -> None:
    with pytest.raises(V.Uncomparable):
        V.compare(a, b)


@pytest.mark.parametrize(("expression", "version", "inside"), [
    ("vers:all/<V2302.0016", "V2302.0012", True),
    ("vers:all/<V2302.0016", "V2302.0016", False),
    (">v33.011|<v33.015", "v33.013", True),
    (">v33.011|<v33.015", "v33.015", False),
    (">v33.011|<v33.015", "v33.011", False),
    ("< 4.1.108.Final", "4.1.107.Final", True),
    ("< 4.1.108.Final", "4.1.108.Final", False),
    (">= 2.0, < 2.4", "2.3.9", True),
    (">= 2.0, < 2.4", "1.9", False),
    ("2.4 and earlier", "2.4", True),
    ("before 3.0", "3.0", False),
    ("13.x", "13.1", True),
    ("13.x", "14.0", False),
    ("all versions", "whatever 1", True),
    ("vers:npm/>=1.0.0|<2.0.0", "1.5.0", True),
    ("vers:pypi/<2.0", "2.0rc1", True),
    ("12.1-55.300", "12.1-55.300", True),
    ("vers:all/*", "1", True),
])
def test_expressions(expression: str, version: str, inside: bool) -> None:
    assert V.contains(V.parse_expression(expression), version) is inside


def test_nvd_ranges() -> None:
    assert V.in_range("13.1-49.13", start="13.1", end="13.1-49.15")
    assert not V.in_range("13.1-49.15", start="13.1", end="13.1-49.15")
    assert V.in_range("13.1-49.15", start="13.1", end="13.1-49.15", end_incl=True)
    assert not V.in_range("13.0", start="13.1", start_incl=True)


def test_cpe_parsing() -> None:
    cpe = parse_cpe("cpe:2.3:a:citrix:netscaler_application_delivery_controller:13.1:*:*:*:"
                    "fips:*:*:*")
    assert (cpe.vendor, cpe.product, cpe.version, cpe.sw_edition) == (
        "citrix", "netscaler_application_delivery_controller", "13.1", "fips")
    assert parse_cpe("cpe:/a:redhat:openshift:4.6::el8").version == "4.6"
    escaped = parse_cpe(r"cpe:2.3:a:themeisle:wp_maintenance_mode_\&_coming_soon:*:*:*:*:*:"
                        r"wordpress:*:*")
    assert escaped.readable_product == "wp maintenance mode & coming soon"
    for bad in ("cpe:2.3:a:x", "citrix netscaler", "cpe:2.3:q:a:b:*:*:*:*:*:*:*:*"):
        with pytest.raises(CpeError):
            parse_cpe(bad)


def test_name_keys_and_aliases() -> None:
    assert NO_ALIASES.name_key("Microsoft Corporation", "Microsoft Exchange Server") == \
        "microsoft:exchangeserver"
    assert NO_ALIASES.name_key("Citrix Systems, Inc.", "NetScaler ADC") == \
        "citrix:netscaleradc"
    assert NO_ALIASES.name_key("Palo Alto Networks", "PAN-OS") == \
        NO_ALIASES.name_key("paloaltonetworks", "pan-os") == "paloaltonetworks:panos"
    assert NO_ALIASES.name_key("Juniper Networks", "Junos OS") == "juniper:junosos"
    aliases = Aliases(vendors={}, products={"netscaleradc":
                                            "netscalerapplicationdeliverycontroller"})
    assert aliases.name_key("Citrix Systems, Inc.", "NetScaler ADC") == \
        "citrix:netscalerapplicationdeliverycontroller"


def test_affected_bound_only_where_it_is_safe() -> None:
    span = V.MINOR_SPAN
    assert V.affected_bound({"version_start": "13.1", "version_end": "13.1-49.15"}) == \
        13 * span + 1
    assert V.affected_bound({"version_end": "v33.015"}) == 33 * span + 15
    # One exact version stands for its whole line: "4" still reaches an item "4.6".
    assert V.affected_bound({"version_exact": "4"}) >= V.line("4.6")  # type: ignore[operator]
    for unsafe in ({"version_start": "2.0"}, {"version_expr": "vers:all/<V2302.0016"},
                   {"all_versions": True}, {"version_end": "2.0", "status": "fixed"},
                   {"version_end": "2.0", "purl_key": "deb//openssl"},
                   {"version_end": "SE12"}):
        assert V.affected_bound(unsafe) is None


@pytest.mark.parametrize(("item", "end"), [
    ("13.1-55.3", "13.0-92.19"), ("14.1-4.42", "13.1-49.15"), ("2.4.49", "2.3.9"),
    ("9.5 build 5", "9.2 build 1063"), ("V2303.0001", "V2302.0016"),
])
def test_a_higher_line_is_always_outside(item: str, end: str) -> None:
    """What lets re-matching skip a statement is what the full comparison says too."""
    bound = V.affected_bound({"version_end": end})
    item_line = V.line(item)
    assert bound is not None and item_line is not None and item_line > bound
    assert V.compare(item, end) > 0
