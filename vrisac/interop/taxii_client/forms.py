from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from vrisac.accounts.models import User
from vrisac.organisations.models import Membership
from vrisac.sharing.policy import CONTENT_ROLES
from vrisac.sharing.tlp import TLP

from .models import RemoteCollection


class ImportAsField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        membership = next(iter(obj.memberships.all()), None)
        return f"{obj} ({membership.organisation.name})" if membership else str(obj)


def import_as_choices() -> QuerySet[User]:
    """People in whose name reports can be imported: a current content role."""
    current = Membership.objects.filter(status=Membership.Status.ACTIVE,
                                        role__in=CONTENT_ROLES)
    return (User.objects.filter(is_active=True, memberships__in=current).distinct()
            .prefetch_related(Prefetch("memberships", queryset=current.select_related(
                "organisation"))).order_by("name"))


class RemoteCollectionForm(forms.Form):
    name = forms.SlugField(label=_("Name"), max_length=64,
                           help_text=_("Short, for the command line: vrisac taxii_pull NAME"))
    title = forms.CharField(label=_("Title"), max_length=200)
    url = forms.URLField(label=_("URL"), max_length=1000, assume_scheme="https",
                         help_text=_("The server's discovery address, an API root or the "
                                     "collection's own address."))
    collection_id = forms.CharField(label=_("Collection id"), required=False, max_length=100,
                                    help_text=_("Needed when the server offers more than one "
                                                "collection."))
    auth = forms.ChoiceField(label=_("Authentication"), choices=RemoteCollection.Auth.choices,
                             widget=forms.RadioSelect, initial=RemoteCollection.Auth.NONE)
    username = forms.CharField(label=_("User name"), required=False, max_length=200)
    # Never filled in from the stored value: a secret is entered, not shown.
    secret = forms.CharField(label=_("Password or token"), required=False, max_length=2000,
                             widget=forms.PasswordInput(render_value=False,
                                                        attrs={"autocomplete": "off"}))
    import_as = ImportAsField(
        label=_("Import in the name of"), queryset=User.objects.none(),
        help_text=_("Imported reports belong to this person's organisation."))
    tlp = forms.ChoiceField(label=_("TLP label"), initial="TLP:GREEN",
                            choices=[c for c in TLP.choices if c[0] != "TLP:RED"])
    audience = forms.ChoiceField(label=_("Share with"), initial="participants", choices=[
        ("participants", _("all VR-ISAC participants")),
        ("partners", _("VR-ISAC participants and partners")),
        ("organisation", _("own organisation")), ("public", _("public")),
    ])
    interval_minutes = forms.IntegerField(label=_("Pull every (minutes)"), min_value=5,
                                          max_value=10_080, initial=60)
    enabled = forms.BooleanField(label=_("Pull on schedule"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["import_as"].queryset = import_as_choices()  # type: ignore[attr-defined]
