"""Structured JSON logs: one object per line, with the request id; never secrets."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import orjson

from .request_context import current_origin

_SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*)(\S+(\s+\S+)?)"),
    re.compile(r"(?i)((?:password|token|secret|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)([^\s\"',&]+)"),
    re.compile(r"vrs_[A-Za-z0-9_.:-]+"),
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
        else:
            text = pattern.sub("[redacted]", text)
    return text


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        origin = current_origin()
        if not hasattr(record, "request_id"):
            record.request_id = origin.request_id
        return True


class JsonFormatter(logging.Formatter):
    _SKIP = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key in self._SKIP or key.startswith("_"):
                continue
            entry[key] = value if isinstance(value, int | float | bool | type(None)) else redact(
                str(value)
            )
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()
