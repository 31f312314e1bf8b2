from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vrisac.accounts.models import User
from vrisac.organisations.models import Membership, Organisation
from vrisac.sharing.models import Audience
from vrisac.sharing.policy import CONTENT_ROLES
from vrisac.sharing.tlp import TLP

from .models import Report


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        org = getattr(obj, "org_name", "")
        return f"{obj.name} ({org})" if org else obj.name


class ReportForm(forms.Form):
    """Collects a report's fields; the rules live in the services."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Report.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Two or three sentences: what happened or what is at stake."),
    )
    body = forms.CharField(
        label=_("Text"), required=False, max_length=200_000,
        widget=forms.Textarea(attrs={"class": "tall", "rows": 14}),
        help_text=_("Markdown: **bold**, *italic*, lists, `code`, tables and links."),
    )
    tlp = forms.ChoiceField(
        label=_("TLP label"), choices=TLP.choices, widget=forms.RadioSelect, initial=TLP.AMBER,
        help_text=_("TLP:RED needs named people; public needs TLP:CLEAR."),
    )
    audience = forms.ChoiceField(
        label=_("Share with"), choices=Audience.choices, widget=forms.RadioSelect,
        initial=Audience.PARTICIPANTS,
    )
    audience_organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations"), required=False,
        queryset=Organisation.objects.exclude(kind=Organisation.Kind.OWNER),
        help_text=_("Your own organisation is always included."),
    )
    audience_people = PersonChoiceField(label=_("People"), required=False,
                                        queryset=User.objects.none())
    anonymous = forms.BooleanField(
        label=_("Share anonymously (others see \"a VR-ISAC participant\")"), required=False
    )
    tags = forms.CharField(label=_("Tags"), required=False, max_length=600,
                           help_text=_("Separated by commas, e.g. ransomware, citrix"))

    def __init__(self, *args: Any, can_warn: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_warn:
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                c for c in Report.Kind.choices if c[0] != Report.Kind.WARNING
            ]
        current = Membership.objects.current().filter(role__in=CONTENT_ROLES)
        from django.db.models import OuterRef, Subquery

        self.fields["audience_people"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, pk__in=current.values("user_id"))
            .annotate(org_name=Subquery(current.filter(user_id=OuterRef("pk"))
                                        .values("organisation__name")[:1]))
            .order_by("name")
        )

    def tag_list(self) -> list[str]:
        return [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=20_000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class RetractForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
