"""Peers for the TAXII client's tests: a live medallion 3.0.0 (the OASIS reference server),
and a small loopback server that answers whatever a test wants (for bad answers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from vrisac.core.testing import LoopbackServer
from vrisac.interop.taxii_client import testing
from vrisac.interop.taxii_client.client import MEDIA_TYPE


@pytest.fixture(scope="session")
def _medallion_installed() -> None:
    try:
        testing.medallion_command()
    except testing.PeerUnavailable as exc:
        pytest.skip(f"medallion {testing.MEDALLION_VERSION} cannot be installed here: {exc}")


@pytest.fixture
def medallion(_medallion_installed: None, settings: Any) -> Iterator[testing.Medallion]:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = True
    with testing.medallion_server(max_page_size=1000) as server:
        yield server


def post_objects(server: testing.Medallion, objects: list[dict[str, Any]]) -> dict[str, Any]:
    """Add objects to medallion's collection as a TAXII client would."""
    answer = requests.post(
        f"{server.collection_url}objects/", json={"objects": objects},
        auth=(testing.USER, testing.PASSWORD),
        headers={"Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE}, timeout=30)
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    assert body["status"] == "complete" and body["failure_count"] == 0, body
    return body


def indicator(value: str, *, modified: str = "2026-03-01T10:00:00.000Z",
              stix_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": stix_id or f"indicator--{uuid.uuid4()}",
        "created": "2026-03-01T10:00:00.000Z", "modified": modified,
        "name": f"Malicious address {value}", "pattern_type": "stix",
        "pattern": f"[ipv4-addr:value = '{value}']", "valid_from": "2026-03-01T10:00:00Z",
        "indicator_types": ["malicious-activity"], **extra,
    }


class StubServer(LoopbackServer):
    """Answers each path with the (status, content type, body) the test put in ``answers``."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        super().__init__(self._answer)

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.requests.append((path, headers))
        status, media, body = self.answers.get(path.split("?")[0],
                                               (404, "text/plain", b"not here"))
        return status, {"Content-Type": media}, body


@pytest.fixture
def stub(settings: Any) -> Iterator[StubServer]:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = True
    server = StubServer()
    try:
        yield server
    finally:
        server.close()
