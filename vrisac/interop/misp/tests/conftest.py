from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from vrisac.accounts.services import token_create


@pytest.fixture
def misp_for(live_server: Any, transactional_db: Any) -> Callable[..., Any]:
    """A PyMISP client on the running server, with a token of ``user``."""
    from pymisp import PyMISP

    logging.getLogger("pymisp").setLevel(logging.CRITICAL)

    def make(user: Any, scopes: list[str] | None = None) -> Any:
        _token, raw = token_create(user=user, scopes=scopes or ["misp:read", "misp:write"])
        return PyMISP(f"{live_server.url}/misp/", raw, ssl=False, timeout=30)

    return make


@pytest.fixture
def key_for(db: Any) -> Callable[..., str]:
    def make(user: Any, scopes: list[str] | None = None) -> str:
        return token_create(user=user, scopes=scopes or ["misp:read", "misp:write"])[1]

    return make
