"""Types shared by the faces."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from vrisac.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request behind ``login_required`` or token authentication."""

    user: User
