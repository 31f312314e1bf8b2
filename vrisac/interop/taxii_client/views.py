"""The coordinators' pages for remote TAXII collections. Anyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vrisac.core.errors import DomainError
from vrisac.core.types import AuthenticatedRequest
from vrisac.sharing.policy import viewer_for

from .forms import RemoteCollectionForm
from .models import RemoteCollection
from .services import remote_pull_queue, remote_save, remote_set_enabled


def _coordinator(request: AuthenticatedRequest) -> None:
    if not viewer_for(request.user).is_coordinator:
        raise Http404


def _remote(request: AuthenticatedRequest, pk: int) -> RemoteCollection:
    _coordinator(request)
    return get_object_or_404(RemoteCollection.objects.select_related("organisation", "import_as"),
                             pk=pk)


@login_required
def remote_list(request: AuthenticatedRequest) -> HttpResponse:
    _coordinator(request)
    remotes = RemoteCollection.objects.select_related("organisation").order_by("name")
    return render(request, "taxii_client/list.html", {"remotes": remotes})


@login_required
def remote_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    remote = _remote(request, pk)
    return render(request, "taxii_client/detail.html", {"remote": remote})


def _initial(remote: RemoteCollection) -> dict[str, Any]:
    fields = [f for f in RemoteCollectionForm.base_fields if f != "secret"]
    return {name: getattr(remote, name) for name in fields}


@login_required
def remote_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    remote = _remote(request, pk) if pk is not None else None
    if remote is None:
        _coordinator(request)
    form = RemoteCollectionForm(request.POST or None,
                                initial=_initial(remote) if remote else None)
    if request.method == "POST" and form.is_valid():
        try:
            remote = remote_save(acting_user=request.user, remote=remote, **form.cleaned_data)
            messages.success(request, _("The remote collection was saved."))
            return redirect(remote)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(request, "taxii_client/form.html", {"form": form, "remote": remote})


@login_required
@require_POST
def remote_pull(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    remote = _remote(request, pk)
    remote_pull_queue(remote=remote, acting_user=request.user)
    messages.success(request, _("The collection will be pulled in a moment; see its status "
                                "here."))
    return redirect(remote)


@login_required
@require_POST
def remote_toggle(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    remote = _remote(request, pk)
    remote_set_enabled(acting_user=request.user, remote=remote, enabled=not remote.enabled)
    messages.success(request, _("Scheduled pulls are on.") if remote.enabled
                     else _("Scheduled pulls are off."))
    return redirect(remote)
