"""Validation and normalisation of every indicator type, and the compact keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vrisac.intel.normalise import (
    InvalidValue,
    candidate_types,
    contains,
    normalise,
    parent_keys,
    refang,
)


@pytest.mark.parametrize(("type_", "raw", "expected"), [
    ("ipv4", " 185.220.101.47 ", "185.220.101.47"),
    ("ipv4", "185.220.101[.]47", "185.220.101.47"),
    ("ipv6", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
    ("ipv6", "[2001:db8::1]", "2001:db8::1"),
    ("cidr", "10.1.2.3/8", "10.0.0.0/8"),
    ("cidr", "2001:DB8::/32", "2001:db8::/32"),
    ("domain", "Evil-Example.COM.", "evil-example.com"),
    ("domain", "münchen.de", "xn--mnchen-3ya.de"),
    ("hostname", "WWW.Rooster-Portaal[.]nl", "www.rooster-portaal.nl"),
    ("url", "hxxps://Login.Example.COM:443/Path?q=1#frag", "https://login.example.com/Path?q=1"),
    ("url", "evil.example.com/login.php", "http://evil.example.com/login.php"),
    ("url", "http://EXAMPLE.com", "http://example.com/"),
    ("url", "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
    ("email", "CEO@Example[.]NL", "ceo@example.nl"),
    ("email", "info[@]münchen.de", "info@xn--mnchen-3ya.de"),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    ("sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
     "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("regkey", "HKLM\\Software\\Run", "HKEY_LOCAL_MACHINE\\Software\\Run"),
    ("asn", "as 13335", "AS13335"),
    ("asn", "13335", "AS13335"),
    ("cve", "cve-2023-4966", "CVE-2023-4966"),
    ("ja4", "T13D1516H2_8DAAF6152771_B186095E22B6", "t13d1516h2_8daaf6152771_b186095e22b6"),
    ("user_agent", "  Mozilla/5.0   (X11)  ", "Mozilla/5.0 (X11)"),
    ("filename", " invoice.pdf.exe ", "invoice.pdf.exe"),
    ("filepath", "C:\\Users\\Public\\x.exe", "C:\\Users\\Public\\x.exe"),
    ("mutex", "Global\\MTX_1", "Global\\MTX_1"),
])
def test_values_are_normalised(type_: str, raw: str, expected: str) -> None:
    assert normalise(type_, raw).value == expected


@pytest.mark.parametrize(("type_", "raw", "message"), [
    ("ipv4", "999.1.1.1", "not a valid IPv4"),
    ("ipv4", "010.1.1.1", "not a valid IPv4"),
    ("ipv6", "fe80::1%eth0", "zone"),
    ("cidr", "10.0.0.0", "address/prefix"),
    ("cidr", "10.0.0.0/33", "not a valid network"),
    ("domain", "localhost", "two labels"),
    ("domain", "-bad-.com", "not a valid"),
    ("domain", "example.123", "top-level"),
    ("url", "http://exa mple.com/", "spaces"),
    ("md5", "abc", "32 hexadecimal"),
    ("sha256", "z" * 64, "64 hexadecimal"),
    ("asn", "AS99999999999", "AS number"),
    ("cve", "CVE-23-1", "CVE-YYYY"),
    ("filename", "dir/evil.exe", "cannot contain"),
    ("user_agent", "Mozilla<script>alert(1)</script>", "HTML"),
    ("mutex", "bad\x00mutex", "control characters"),
    ("regkey", "SOFTWARE\\Run", "hive"),
    ("url", "http://" + "a" * 3000 + ".com/", "longer than"),
    ("nonsense", "x", "Unknown indicator type"),
])
def test_bad_values_are_refused_with_a_reason(type_: str, raw: str, message: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise(type_, raw)
    assert message in caught.value.message


def test_refang_undoes_the_usual_defanging() -> None:
    text = "hxxps://evil[.]example(.)com[/]x ceo[@]example[.]nl 10[.]0[.]0[.]1 hXXp[:]//a[dot]nl"
    assert refang(text) == ("https://evil.example.com/x ceo@example.nl 10.0.0.1 "
                            "http://a.nl")


def test_keys_order_addresses_and_keep_families_apart() -> None:
    low, high = normalise("ipv4", "9.255.255.255"), normalise("ipv4", "10.0.0.1")
    assert low.ip_start is not None and high.ip_start is not None
    assert low.ip_start < high.ip_start
    v6 = normalise("ipv6", "::a00:1")
    assert v6.ip_start is not None and v6.ip_start[0] == 6 and high.ip_start[0] == 4
    network = normalise("cidr", "10.0.0.0/8")
    assert contains(network, high)
    assert not contains(network, low)
    assert not contains(normalise("cidr", "::/0"), high)
    assert contains(normalise("cidr", "2001:db8::/32"), normalise("cidr", "2001:db8:1::/48"))


def test_host_keys_make_subdomains_a_prefix() -> None:
    host = normalise("hostname", "a.b.example.nl")
    assert host.host_rev == "nl.example.b.a."
    assert normalise("url", "https://a.b.example.nl/x").host_rev == host.host_rev
    assert normalise("email", "x@b.example.nl").host_rev == "nl.example.b."
    assert parent_keys(host.host_rev) == ["nl.example.", "nl.example.b."]
    assert normalise("domain", "example.nl").host_rev == "nl.example."


def test_one_value_one_digest_whatever_the_spelling() -> None:
    assert normalise("domain", "EXAMPLE.nl.").digest == normalise("domain", "example[.]nl").digest
    assert normalise("domain", "example.nl").digest != normalise("hostname", "example.nl").digest


@pytest.mark.parametrize(("raw", "types"), [
    ("8.8.8.8", ["ipv4"]),
    ("10.0.0.0/8", ["cidr"]),
    ("2001:db8::1", ["ipv6"]),
    ("d41d8cd98f00b204e9800998ecf8427e", ["md5", "ja3"]),
    ("CVE-2024-3400", ["cve"]),
    ("https://x.nl/", ["url"]),
    ("evil.nl", ["domain", "hostname", "filename"]),
    ("a@b.nl", ["email"]),
    ("HKLM\\Run", ["regkey"]),
])
def test_candidate_types(raw: str, types: list[str]) -> None:
    assert candidate_types(raw) == types


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_host = st.builds(lambda labels, tld: ".".join([*labels, tld]),
                  st.lists(_label, min_size=1, max_size=4), st.sampled_from(["nl", "com", "org"]))


@given(st.ip_addresses(v=4))
def test_ipv4_normalisation_is_idempotent(address: object) -> None:
    once = normalise("ipv4", str(address))
    assert normalise("ipv4", once.value) == once


@given(st.ip_addresses(v=6))
def test_ipv6_normalisation_is_idempotent(address: object) -> None:
    once = normalise("ipv6", str(address).upper())
    assert normalise("ipv6", once.value) == once


@given(_host, st.booleans())
def test_host_normalisation_is_idempotent_and_defang_proof(host: str, upper: bool) -> None:
    spelled = (host.upper() if upper else host).replace(".", "[.]", 1)
    once = normalise("hostname", spelled)
    assert once.value == host and normalise("hostname", once.value) == once
    url = normalise("url", f"hxxps://{spelled}/x")
    assert url.host_rev == once.host_rev
