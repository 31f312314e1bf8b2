"""Domain errors. Services raise these; each face (page, API, TAXII, MISP, command) turns
them into its own answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: How a machine face (the REST API, TAXII, MISP) answers an error, by its path prefix:
#: ``answer(request, status, message) -> HttpResponse``. The project's 404 and 500 handlers
#: use it, so no path of such a face ever answers an HTML page.
ErrorAnswer = Callable[[Any, int, str], Any]
_ERROR_ANSWERS: dict[str, ErrorAnswer] = {}


def register_error_answer(prefix: str, answer: ErrorAnswer) -> None:
    """Called by a machine face's app when it is ready."""
    _ERROR_ANSWERS[prefix] = answer


def error_answer_for(path: str) -> ErrorAnswer | None:
    for prefix, answer in _ERROR_ANSWERS.items():
        if path.startswith(prefix):
            return answer
    return None


class DomainError(Exception):
    """A rule of the platform refused the request. The message is safe to show to the user."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    """The acting user may not do this. Where the object is confidential, faces answer 404."""

    code = "not_allowed"


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it does."""

    code = "not_found"
