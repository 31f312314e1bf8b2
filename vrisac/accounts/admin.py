"""The Django admin for accounts: read-only for everything that secures an account. An
administrator is a content-free role, so what they may do goes through the services, each with
its audit row: end a person's sessions, send them the password-reset e-mail (to their own
address), ask for a reset of their second factor or a change of their e-mail address (nothing
changes until the person confirms), revoke a token."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from vrisac.core.errors import DomainError

from . import services
from .forms import EmailChangeRequestForm
from .models import AccountChangeRequest, ApiToken, User

# django-allauth registers its own admins, which edit second factors (and delete every
# person's at once) and e-mail addresses without the person: gone. Groups and permissions are
# not how this platform grants anything.
for _model in (Authenticator, EmailAddress, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted in the admin: changes go through services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _run(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any],
         service: Any, done: Any) -> None:
    """Call ``service(item)`` for each selected row; a refused one is shown, not raised."""
    count = 0
    for item in queryset:
        try:
            service(item)
            count += 1
        except DomainError as exc:
            model_admin.message_user(request, f"{item}: {exc.message}", messages.ERROR)
    if count:
        model_admin.message_user(request, done % {"n": count}, messages.SUCCESS)


def _acting(request: HttpRequest) -> User:
    """The administrator (every admin page is behind the login)."""
    return request.user  # type: ignore[return-value]


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("email", "name", "is_active", "is_staff", "is_demo", "date_joined")
    list_filter = ("is_active", "is_staff", "is_demo")
    search_fields = ("email", "name")
    fields = ("email", "name", "is_active", "is_staff", "is_superuser", "is_demo",
              "notify_mode", "date_joined", "last_login", "second_factor", "open_requests")
    readonly_fields = fields
    actions = ["end_sessions", "send_password_reset", "request_mfa_reset"]

    @admin.display(description=_("Second factor"))
    def second_factor(self, obj: User) -> str:
        types = sorted(Authenticator.objects.filter(user=obj).values_list("type", flat=True))
        return ", ".join(types) or "—"

    @admin.display(description=_("Waiting for the person"))
    def open_requests(self, obj: User) -> str:
        waiting = [c for c in AccountChangeRequest.objects.filter(user=obj) if c.is_open]
        link = format_html('<a href="{}">{}</a>',
                           reverse("admin:accounts_user_email_change", args=[obj.pk]),
                           _("Ask for a change of the e-mail address"))
        listed = ", ".join(f"{c.get_kind_display()} ({c.created_at:%Y-%m-%d %H:%M})"
                           for c in waiting)
        return format_html("{}<br>{}", listed or "—", link)

    def get_urls(self) -> list[Any]:
        return [path("<int:pk>/email-change/", self.admin_site.admin_view(self.email_change),
                     name="accounts_user_email_change"), *super().get_urls()]

    def email_change(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        person = get_object_or_404(User, pk=pk)
        form = EmailChangeRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.email_change_request(user=person, new_email=form.cleaned_data["email"],
                                              acting_user=request.user)
            except DomainError as exc:
                form.add_error("email", exc.message)
            else:
                self.message_user(request, _(
                    "A confirmation link went to the new address; the address changes when "
                    "%(name)s confirms it in their own session.") % {"name": person.name})
                return redirect("admin:accounts_user_change", pk)
        return TemplateResponse(request, "admin/accounts/email_change.html", {
            **self.admin_site.each_context(request), "form": form, "person": person,
            "opts": self.model._meta, "title": _("Ask for a change of the e-mail address")})

    @admin.action(description=_("End all sessions of the selected people"))
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(self, request, queryset, lambda user: services.sessions_end(
            user=user, acting_user=_acting(request), reason="administrator"),
            _("The sessions of %(n)d people have ended."))

    @admin.action(description=_("Send the selected people the password-reset e-mail"))
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(self, request, queryset, lambda user: services.password_reset_send(
            user=user, acting_user=request.user, request=request),
            _("%(n)d people were sent the password-reset e-mail, to their own address."))

    @admin.action(description=_("Ask to reset the second factor of the selected people"))
    def request_mfa_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        _run(self, request, queryset, lambda user: services.mfa_reset_request(
            user=user, acting_user=request.user),
            _("%(n)d people were asked by e-mail to confirm the reset; until they do, "
              "nothing changes."))


@admin.register(AccountChangeRequest)
class AccountChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "new_email", "requested_by", "created_at", "expires_at",
                    "confirmed_at", "cancelled_at")
    list_filter = ("kind",)
    exclude = ("token_hash",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "user", "name", "created_at", "expires_at", "revoked_at",
                    "last_used_at")
    exclude = ("token_hash",)
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        _run(self, request, queryset, lambda token: services.token_revoke(
            token=token, acting_user=_acting(request)), _("%(n)d tokens were revoked."))
