from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vrisac.organisations.models import Organisation
from vrisac.sharing.tlp import TLP

from .models import RemoteCollection


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
    organisation = forms.ModelChoiceField(label=_("Import as organisation"),
                                          queryset=Organisation.objects.all())
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
