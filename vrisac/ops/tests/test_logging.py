"""JSON log lines carry the request id and the person's id (never the e-mail address), and
never a secret, whatever field or message it comes in."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from vrisac.core.logging import JsonFormatter, RequestIdFilter
from vrisac.core.testing import client_for


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    watched = [logging.getLogger("django.request"), logging.getLogger("vrisac.test")]
    for logger in watched:
        logger.addHandler(handler)
    try:
        yield stream
    finally:
        for logger in watched:
            logger.removeHandler(handler)


def _entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_a_request_log_line_names_the_request_and_the_person_by_id(
        people: dict[str, Any], json_lines: io.StringIO) -> None:
    person = people["utrecht"]
    response = client_for(person).get("/no/such/page/", HTTP_X_REQUEST_ID="req-1234567890")
    assert response.status_code == 404
    entry = [e for e in _entries(json_lines) if e["logger"] == "django.request"][-1]
    assert entry["request_id"] == "req-1234567890"
    assert entry["user_id"] == person.pk
    assert person.email not in json_lines.getvalue()


def test_secrets_never_reach_the_log(json_lines: io.StringIO) -> None:
    logger = logging.getLogger("vrisac.test")
    logger.warning("login with password=hunter2hunter2 and Authorization: Bearer vrs_abc.def",
                   extra={"token": "t0ps3cret", "session_key": "abcd1234", "job": "ok"})
    logger.warning("cookie sessionid=zzz999; csrftoken=yyy888")
    text = json_lines.getvalue()
    for secret in ("hunter2hunter2", "vrs_abc.def", "t0ps3cret", "abcd1234", "zzz999",
                   "yyy888"):
        assert secret not in text
    first = _entries(json_lines)[0]
    assert first["token"] == "[redacted]" and first["job"] == "ok"
    assert first["user_id"] is None and first["level"] == "WARNING"
