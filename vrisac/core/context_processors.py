from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    """What every page needs: who is looking (as the sharing policy sees them), unread count."""
    context: dict[str, Any] = {"SITE_URL": settings.SITE_URL}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from vrisac.notifications.selectors import unread_count
        from vrisac.sharing.policy import viewer_for

        context["viewer"] = viewer_for(user)
        context["unread_notifications"] = unread_count(user=user)
    return context
