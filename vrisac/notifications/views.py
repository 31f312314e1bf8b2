from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from vrisac.core.paging import page_of
from vrisac.core.types import AuthenticatedRequest

from .selectors import notification_list
from .services import notifications_mark_read


@login_required
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    page = page_of(request, notification_list(user=request.user), 30)
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def mark_read(request: AuthenticatedRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    return redirect("notifications:list")
