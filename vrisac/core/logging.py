"""Structured JSON logs: one object per line, with the request id and the user id (never the
e-mail address); never secrets (tokens, passwords, session ids, Authorization headers)."""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from .request_context import current_origin

_SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*)(\S+(\s+\S+)?)"),
    re.compile(r"(?i)(bearer\s+)(\S+)"),
    re.compile(r"(?i)((?:password|passwd|token|secret|api[_-]?key|sessionid|session_key|"
               r"csrftoken|[a-z_]*session)[\"']?\s*[:=]\s*[\"']?)([^\s\"',&;]+)"),
    re.compile(r"vrs_[A-Za-z0-9_.:-]+"),
]
#: Extra fields whose value is never written, whatever it looks like.
_SECRET_FIELDS = re.compile(r"(?i)password|passwd|token|secret|authorization|cookie|session|"
                            r"api_?key|otp|recovery")

UserIdSource = Callable[[], int | None]
_user_id: contextvars.ContextVar[UserIdSource | None] = contextvars.ContextVar(
    "vrisac_log_user", default=None)


def bind_user_id(source: UserIdSource) -> contextvars.Token[UserIdSource | None]:
    """Name the signed-in person (by id, asked when a line is written, so a person signed in
    halfway through the request is named too) in every log line of the current request."""
    return _user_id.set(source)


def unbind_user_id(token: contextvars.Token[UserIdSource | None]) -> None:
    _user_id.reset(token)


def current_user_id() -> int | None:
    source = _user_id.get()
    try:
        return source() if source is not None else None
    except Exception:  # the session store may be unreachable while logging that very problem
        return None


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
        # Django logs a response (404, 500) after the middleware has finished with it, with
        # the request on the record: take the ids from there then.
        request = getattr(record, "request", None)
        if not hasattr(record, "request_id"):
            record.request_id = origin.request_id or getattr(request, "request_id", None)
        if not hasattr(record, "user_id"):
            user_id = current_user_id()
            user = getattr(request, "user", None)
            if user_id is None and getattr(user, "is_authenticated", False):
                user_id = getattr(user, "pk", None)
            record.user_id = user_id
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
            if _SECRET_FIELDS.search(key):
                entry[key] = "[redacted]"
                continue
            entry[key] = value if isinstance(value, int | float | bool | type(None)) else redact(
                str(value)
            )
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()
