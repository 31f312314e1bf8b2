from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ApiToken, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "is_active", "is_staff", "is_demo", "date_joined")
    list_filter = ("is_active", "is_staff", "is_demo")
    search_fields = ("email", "name")
    fields = ("email", "name", "is_active", "is_staff", "is_superuser", "notify_mode",
              "date_joined", "last_login")
    readonly_fields = ("date_joined", "last_login")
    actions = ["end_sessions"]

    @admin.action(description=_("End all sessions of the selected people"))
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.sessions_end(user=user, acting_user=request.user,  # type: ignore[arg-type]
                                  reason="administrator")
        self.message_user(request, _("Their sessions have ended."))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # People arrive by invitation (Memberships), never by hand.
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "expires_at", "revoked_at",
                    "last_used_at")
    readonly_fields = ("user", "prefix", "scopes", "created_at", "expires_at", "last_used_at")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
