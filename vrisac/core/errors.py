"""Domain errors. Services raise these; each face (page, API, TAXII, MISP, command) turns
them into its own answer."""

from __future__ import annotations


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
