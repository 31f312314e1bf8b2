"""Helpers for the knowledge app's tests."""

from __future__ import annotations

import time
from typing import Any

import pytest

from vrisac.knowledge import antispam


def aged_token(seconds: float = 10.0) -> str:
    """A genuine form token, as if the form had been served ``seconds`` ago."""
    return antispam.issue_token(now=time.time() - seconds)


def question(**overrides: Any) -> dict[str, str]:
    data = {
        "name": "Anne de Jong",
        "email": "anne@gemeente.example",
        "organisation": "Gemeente Voorbeeld",
        "subject": "Deelname aan het VR-ISAC",
        "question": "Kunnen gemeenten ook deelnemen?",
        "validatie": "",
        "token": aged_token(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def post_question(client: Any) -> Any:
    def post(address: str = "192.0.2.10", path: str = "/contact/", **overrides: Any) -> Any:
        return client.post(path, question(**overrides), REMOTE_ADDR=address)

    return post
