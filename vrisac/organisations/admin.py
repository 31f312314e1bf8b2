"""Administration of organisations and seats. Seats change only through the services, so the
two-seat rule holds here exactly as in the interface and on the command line, and each change
is audited with the administrator as its actor. The invitation link goes by e-mail to the
invitee only: an administrator who saw it could accept it and set the account's password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vrisac.core.errors import DomainError

from .models import Membership, Organisation
from .services import membership_end, membership_invite


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "number", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "slug")
    readonly_fields = ("slug", "kind", "number")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the organisations are facts (migrations), not edited by hand

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InviteAdminForm(forms.ModelForm):
    acting_user: Any = None
    email = forms.EmailField(label=_("E-mail address"))
    name = forms.CharField(label=_("Name"), max_length=150)

    class Meta:
        model = Membership
        fields = ("organisation", "role")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.invitation = membership_invite(
                organisation=data["organisation"], email=data["email"], name=data["name"],
                role=data.get("role") or None, acting_user=self.acting_user,
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "status", "invite_expires_at", "ended_at")
    list_filter = ("status", "role", "organisation__kind")
    search_fields = ("user__email", "user__name", "organisation__name")
    actions = ["end_memberships"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = type("InviteForm", (InviteAdminForm,), {"acting_user": request.user})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return [f.name for f in Membership._meta.fields]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            # The invitation was made by the service in the form's clean(); show its link once.
            invitation = form.invitation
            made = invitation.membership
            obj.pk, obj.user, obj.organisation = made.pk, made.user, made.organisation
            obj.role, obj.status = made.role, made.status
            messages.info(request, _("Invitation sent to %(email)s.") % {"email": made.user.email})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("End the selected memberships (frees the seats)"))
    def end_memberships(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.exclude(status=Membership.Status.ENDED):
            membership_end(membership=membership, acting_user=request.user)
