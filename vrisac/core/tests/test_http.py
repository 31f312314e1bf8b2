"""The guarded outbound client against hostile URLs: each one is tried against a real listener
on loopback, and the listener must not see a single connection. Redirects, DNS rebinding,
credentials on redirects and TLS for a pinned address are played the same way."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from vrisac.core.http import FetchError, check_url, fetch
from vrisac.core.testing import LoopbackServer


class Listener:
    """A TCP listener on a loopback address that answers every connection with an internal
    page and counts the connections it accepts."""

    def __init__(self, address: str) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.address = address
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((address, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.peers: list[tuple[str, int]] = []
        self.probes: set[tuple[str, int]] = set()
        self.accepted = threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            with self.accepted:
                self.peers.append(peer[:2])
                self.accepted.notify_all()
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _answer(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n"
                             b"\r\ninternal")
            except OSError:
                pass

    def reached(self) -> int:
        """Connections accepted so far. A probe connection made now is accepted after every
        earlier one, so once it is seen none of those can still be waiting in the queue."""
        with socket.create_connection((self.address, self.port)) as probe:
            mine = probe.getsockname()[:2]
            with self.accepted:
                assert self.accepted.wait_for(lambda: mine in self.peers, timeout=30)
            self.probes.add(mine)
        return sum(1 for peer in self.peers if peer not in self.probes)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def v4() -> Iterator[Listener]:
    listener = Listener("127.0.0.1")
    yield listener
    listener.close()


@pytest.fixture
def v6() -> Iterator[Listener]:
    try:
        listener = Listener("::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    yield listener
    listener.close()


@pytest.fixture
def no_allowance(settings: Any) -> None:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = False
    settings.VRISAC_FETCH_ALLOWED_HOSTS = []


@pytest.fixture
def intranet(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names of the test's own (under the reserved .test domain) answered by the resolver at
    the socket level, as a DNS server of the attacker's would; every other name goes to the
    machine's resolver. Each answer list is used in turn, the last one from then on."""
    answers: dict[str, list[list[str]]] = {}
    asked: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in answers:
            return real(host, port, *args, **kwargs)
        asked.setdefault(name, []).append(name)
        turn = answers[name][min(len(asked[name]), len(answers[name])) - 1]
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, int(port or 0))) for a in turn]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["loopback.intranet.test"] = [["127.0.0.1"]]
    answers["mixed.intranet.test"] = [["1.1.1.1", "127.0.0.1"]]
    answers["mapped.intranet.test"] = [["::ffff:127.0.0.1"]]
    answers["rebind.intranet.test"] = [["1.1.1.1"], ["127.0.0.1"]]
    answers["feeds.intranet.test"] = [["127.0.0.1"]]
    return asked


def _attempt(url: str, **extra: Any) -> FetchError:
    with pytest.raises(FetchError) as caught, fetch(url, timeout=(2.0, 2.0), **extra) as got:
        got.read()
    return caught.value


# (url, why it is refused); {v4} and {v6} are the ports of the listeners on 127.0.0.1 and ::1.
BY_FORM = [
    ("http://127.0.0.1:{v4}\\@1.1.1.1/x", "backslash"),
    ("http://127.0.0.1:{v4}\\\\1.1.1.1/", "backslash"),
    ("http://1.1.1.1\\@127.0.0.1:{v4}/", "backslash"),
    ("http://1.1.1.1@127.0.0.1:{v4}/", "user name or password"),
    ("http://feeds:secret@127.0.0.1:{v4}/", "user name or password"),
    ("http://1.1.1.1@2.2.2.2@127.0.0.1:{v4}/", "user name or password"),
    ("http://@127.0.0.1:{v4}/", "user name or password"),
    ("http://1.1.1.1 &@127.0.0.1:{v4}# @1.1.1.1/", "white space"),
    ("http://1.1.1.1\t@127.0.0.1:{v4}/", "white space"),
    ("http://127.0.0.1:{v4}/\r\nX-Injected: 1", "white space"),
    ("http://127.0.0.1\u200b:{v4}/", "white space"),
    ("http://[::1%25lo]:{v6}/", "zone id"),
    ("http://[fe80::1%25lo]:{v6}/", "zone id"),
    ("http://[::1%lo]:{v6}/", "zone id"),
    ("http://%31%32%37.0.0.1:{v4}/", "percent sign"),
    ("http://2130706433:{v4}/", "four decimal numbers"),
    ("http://017700000001:{v4}/", "four decimal numbers"),
    ("http://0x7f000001:{v4}/", "four decimal numbers"),
    ("http://0177.0.0.1:{v4}/", "four decimal numbers"),
    ("http://0x7f.0.0.1:{v4}/", "four decimal numbers"),
    ("http://0x7f.1:{v4}/", "four decimal numbers"),
    ("http://127.1:{v4}/", "four decimal numbers"),
    ("http://127.0.1:{v4}/", "four decimal numbers"),
    ("http://127.000.000.001:{v4}/", "four decimal numbers"),
    ("http://127.0.0.1.:{v4}/", "four decimal numbers"),
    ("http://0:{v4}/", "four decimal numbers"),
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{v4}/", "ASCII"),
    ("http://127\u30020\u30020\u30021:{v4}/", "ASCII"),
    ("http://[127.0.0.1]:{v4}/", "not a valid URL"),
    ("http://127.0.0.1:{v4}:80/", "not a valid URL"),
    ("http://:{v4}/", "no host"),
    ("http:/127.0.0.1:{v4}/", "no host"),
    ("//127.0.0.1:{v4}/", "without a scheme"),
    ("ftp://127.0.0.1:{v4}/", "only http and https"),
    ("gopher://127.0.0.1:{v4}/_GET%20/", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
]

BY_ADDRESS = [
    ("http://127.0.0.1:{v4}/", "127.0.0.1 is not a public address"),
    ("https://127.0.0.1:{v4}/", "127.0.0.1 is not a public address"),
    ("HTTP://127.0.0.1:{v4}/", "127.0.0.1 is not a public address"),
    ("http://127.0.0.1:{v4}#@1.1.1.1/", "127.0.0.1 is not a public address"),
    ("http://127.0.0.1:{v4}?@1.1.1.1/", "127.0.0.1 is not a public address"),
    ("http://0.0.0.0:{v4}/", "0.0.0.0 is not a public address"),
    ("http://[::1]:{v6}/", "::1 is not a public address"),
    ("http://[0:0:0:0:0:0:0:1]:{v6}/", "not a public address"),
    ("http://[::]:{v6}/", ":: is not a public address"),
    ("http://[::ffff:127.0.0.1]:{v4}/", "::ffff:127.0.0.1 is not a public address"),
    ("http://[::ffff:7f00:1]:{v4}/", "not a public address"),
    ("http://[::ffff:0.0.0.0]:{v4}/", "not a public address"),
    ("http://[::127.0.0.1]:{v4}/", "not a public address"),
    ("http://[64:ff9b::127.0.0.1]:{v4}/", "not a public address"),
    ("http://[2002:7f00:1::]:{v4}/", "not a public address"),
    ("http://localhost:{v4}/", "localhost resolves to 127.0.0.1"),
    ("http://LocalHost:{v4}/", "localhost resolves to 127.0.0.1"),
    ("http://loopback.intranet.test:{v4}/", "resolves to 127.0.0.1"),
    ("http://mixed.intranet.test:{v4}/", "resolves to 127.0.0.1"),
    ("http://mapped.intranet.test:{v4}/", "not a public address"),
]


def _url(template: str, v4: Listener, v6: Listener) -> str:
    return template.replace("{v4}", str(v4.port)).replace("{v6}", str(v6.port))


@pytest.mark.parametrize(("template", "why"), BY_FORM + BY_ADDRESS,
                         ids=[t for t, _w in BY_FORM + BY_ADDRESS])
def test_hostile_urls_reach_nothing_on_loopback(template: str, why: str, v4: Listener,
                                                v6: Listener, no_allowance: None,
                                                intranet: dict) -> None:
    url = _url(template, v4, v6)
    refused = _attempt(url)
    assert why in refused.message
    assert "is refused" in refused.message and "secret" not in refused.message
    assert (v4.reached(), v6.reached()) == (0, 0)


@pytest.mark.parametrize(("template", "why"), BY_FORM, ids=[t for t, _w in BY_FORM])
def test_ambiguous_urls_are_refused_even_where_private_addresses_are_allowed(
        template: str, why: str, v4: Listener, v6: Listener, settings: Any,
        intranet: dict) -> None:
    settings.VRISAC_FETCH_ALLOWED_HOSTS = ["127.0.0.1", "1.1.1.1", "::1", "localhost"]
    url = _url(template, v4, v6)
    assert why in _attempt(url, allow_private=True).message
    assert (v4.reached(), v6.reached()) == (0, 0)


def test_dns_rebinding_is_closed_by_connecting_to_the_checked_address(
        v4: Listener, no_allowance: None, intranet: dict) -> None:
    """The name answers a public address when checked and loopback after: the connection
    goes to the checked address (which refuses or times out here), never to loopback."""
    _attempt(f"http://rebind.intranet.test:{v4.port}/feed.txt")
    assert intranet["rebind.intranet.test"] == ["rebind.intranet.test"]
    assert v4.reached() == 0


class Recorder(LoopbackServer):
    """A real HTTP(S) server on loopback that records every request and answers ``body``,
    or redirects to ``location`` once that is set."""

    def __init__(self, body: bytes = b"", *, tls: ssl.SSLContext | None = None) -> None:
        self.body = body
        self.location = ""
        self.asked: list[tuple[str, dict[str, str]]] = []
        super().__init__(self._answer, tls=tls)

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.asked.append((path, headers))
        if self.location:
            return 302, {"Location": self.location}, b""
        return 200, {"Content-Type": "text/plain", "X-Host": headers.get("Host", "")}, self.body


@pytest.fixture
def first_hop(settings: Any) -> Iterator[Recorder]:
    """An allowed host (``localhost``, on the operator's allow-list) that redirects."""
    settings.VRISAC_FETCH_ALLOW_PRIVATE = False
    settings.VRISAC_FETCH_ALLOWED_HOSTS = ["localhost"]
    server = Recorder()
    yield server
    server.close()


REDIRECTS = [
    ("http://127.0.0.1:{v4}/", "127.0.0.1 is not a public address"),
    ("http://0.0.0.0:{v4}/", "not a public address"),
    ("http://[::1]:{v6}/", "not a public address"),
    ("http://[::ffff:127.0.0.1]:{v4}/", "not a public address"),
    ("http://2130706433:{v4}/", "four decimal numbers"),
    ("http://127.1:{v4}/", "four decimal numbers"),
    ("http://127.0.0.1:{v4}\\@1.1.1.1/", "backslash"),
    ("http://1.1.1.1@127.0.0.1:{v4}/", "user name or password"),
    ("//127.0.0.1:{v4}/scheme-relative", "127.0.0.1 is not a public address"),
    ("http://loopback.intranet.test:{v4}/", "resolves to 127.0.0.1"),
]


@pytest.mark.parametrize(("template", "why"), REDIRECTS, ids=[t for t, _w in REDIRECTS])
def test_every_redirect_hop_is_checked_again(template: str, why: str, first_hop: Recorder,
                                             v4: Listener, v6: Listener,
                                             intranet: dict) -> None:
    first_hop.location = _url(template, v4, v6)
    refused = _attempt(f"http://localhost:{first_hop.port}/feed.txt")
    assert len(first_hop.asked) == 1, "the allowed first host was asked"
    assert "redirects to another URL" in refused.message and why in refused.message
    assert (v4.reached(), v6.reached()) == (0, 0)


def test_credentials_go_to_the_first_origin_only(first_hop: Recorder, settings: Any) -> None:
    settings.VRISAC_FETCH_ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    second = Recorder(b"feed")
    try:
        first_hop.location = f"{second.url}/elsewhere"
        with fetch(f"http://localhost:{first_hop.port}/feed.txt",
                   headers={"Authorization": "Bearer s3cr3t"}) as got:
            assert got.read() == b"feed" and got.url == f"{second.url}/elsewhere"
    finally:
        second.close()
    assert first_hop.asked[0][1]["Authorization"] == "Bearer s3cr3t"
    assert [h.get("Host") for _p, h in second.asked] == [f"127.0.0.1:{second.port}"]
    assert "Authorization" not in second.asked[0][1]


@pytest.fixture
def tls_server(settings: Any, tmp_path: Path) -> Iterator[tuple[Recorder, list[str]]]:
    """An https server on 127.0.0.1 whose certificate names ``feeds.intranet.test`` only,
    from a CA the operator configured; it records the name each client asked for (SNI)."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    settings.VRISAC_FETCH_CA_BUNDLE = str(bundle)
    settings.VRISAC_FETCH_ALLOW_PRIVATE = False
    settings.VRISAC_FETCH_ALLOWED_HOSTS = ["feeds.intranet.test", "127.0.0.1", "localhost"]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("feeds.intranet.test").configure_cert(context)
    names: list[str] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name or "")
    server = Recorder(b"over tls", tls=context)
    yield server, names
    server.close()


def test_https_connects_to_the_checked_address_and_verifies_the_name(
        tls_server: tuple[Recorder, list[str]], intranet: dict) -> None:
    server, names = tls_server
    with fetch(f"https://feeds.intranet.test:{server.port}/feed.txt") as got:
        assert got.read() == b"over tls"
        assert got.headers["X-Host"] == f"feeds.intranet.test:{server.port}"
    assert names == ["feeds.intranet.test"]
    assert intranet["feeds.intranet.test"] == ["feeds.intranet.test"]
    # The same server reached under a name (or an address) its certificate does not carry.
    for other in (f"https://localhost:{server.port}/", f"https://127.0.0.1:{server.port}/"):
        refused = _attempt(other)
        assert "failed" in refused.message and "certificate" in refused.message.lower()


def test_a_clean_url_is_fetched_as_it_was_checked(settings: Any) -> None:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = True
    server = Recorder(b"ok")
    try:
        with fetch(f"{server.url}/a%20b/c\u00fc?q=1&r=\u00e4#part") as got:
            assert got.read() == b"ok"
    finally:
        server.close()
    path, headers = server.asked[0]
    assert path == "/a%20b/c%C3%BC?q=1&r=%C3%A4"
    assert headers["Host"] == f"127.0.0.1:{server.port}"


def test_credentials_follow_only_the_upgrade_to_https_on_the_same_host() -> None:
    first = check_url("http://1.1.1.1/taxii2/")
    assert check_url("http://1.1.1.1/other/").trusted_by(first)
    assert check_url("https://1.1.1.1/taxii2/").trusted_by(first)
    for elsewhere in ("https://1.1.1.1:8443/", "http://1.1.1.1:8080/", "http://8.8.8.8/"):
        assert not check_url(elsewhere).trusted_by(first), elsewhere
    assert not first.trusted_by(check_url("https://1.1.1.1/"))
