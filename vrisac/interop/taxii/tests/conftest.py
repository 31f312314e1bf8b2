from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.utils import translation

from vrisac.accounts.services import token_create


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def raw_token(user: Any, scopes: list[str] | None = None) -> str:
    _token, raw = token_create(user=user, scopes=scopes or ["taxii:read", "taxii:write"])
    return raw


def basic(user: Any, token: str) -> str:
    return "Basic " + base64.b64encode(f"{user.email}:{token}".encode()).decode()


def indicator(n: int, **extra: Any) -> dict[str, Any]:
    """A STIX indicator with its own id; equal patterns under other ids stay distinct."""
    return {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": f"bad host {n}", "pattern": f"[ipv4-addr:value = '198.51.{n // 250}.{n % 250}']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", **extra,
    }
