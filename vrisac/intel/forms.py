from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.tlp import TLP

from .models import TYPE_CHOICES, Feed, Sighting, Warninglist


class ExtractForm(forms.Form):
    text = forms.CharField(
        label=_("Text"), required=False, max_length=1_000_000,
        widget=forms.Textarea(attrs={"rows": 10, "class": "tall"}),
        help_text=_("An e-mail from a vendor, an advisory, a log excerpt. Defanged indicators "
                    "(hxxp, [.]) are recognised."),
    )
    file = forms.FileField(label=_("Or a PDF or text file"), required=False,
                           help_text=_("At most 20 MB."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("text") and not data.get("file"):
            raise forms.ValidationError(_("Paste text or choose a file."))
        return data


class SightingForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=Sighting.Kind.choices,
                             widget=forms.RadioSelect, initial=Sighting.Kind.SEEN)
    seen_at = forms.DateTimeField(
        label=_("When"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for now."))
    source = forms.CharField(label=_("Source"), required=False, max_length=200,
                             help_text=_("e.g. firewall, EDR, mail gateway"))
    named = forms.BooleanField(label=_("Show our organisation's name to the others"),
                               required=False)


class IndicatorEditForm(forms.Form):
    for_detection = forms.BooleanField(label=_("For detection (blocklists, SIEM rules)"),
                                       required=False)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)


class ExportForm(forms.Form):
    type = forms.MultipleChoiceField(label=_("Types"), choices=TYPE_CHOICES, required=False,
                                     widget=forms.CheckboxSelectMultiple)
    since = forms.DateField(label=_("Seen since"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    tlp = forms.MultipleChoiceField(label=_("TLP labels"), choices=TLP.choices, required=False,
                                    widget=forms.CheckboxSelectMultiple)
    for_detection = forms.ChoiceField(label=_("For detection"), required=False, choices=[
        ("", _("all")), ("true", _("only for detection")), ("false", _("only not for detection")),
    ])
    without_warninglisted = forms.BooleanField(label=_("Leave out warninglist hits"),
                                               required=False, initial=True)
    format = forms.ChoiceField(label=_("Format"), choices=[
        ("csv", _("CSV (SIEM, spreadsheet)")), ("text", _("plain list, one value per line")),
    ], widget=forms.RadioSelect, initial="csv")


class FeedForm(forms.Form):
    name = forms.SlugField(label=_("Name"), max_length=64,
                           help_text=_("Short, for the command line: vrisac import_feed NAME"))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.URLField(label=_("URL"), required=False, max_length=1000, assume_scheme="https")
    path = forms.CharField(label=_("Or a local file"), required=False, max_length=1000,
                           help_text=_("In the platform's feeds folder."))
    format = forms.ChoiceField(label=_("Format"), choices=Feed.Format.choices,
                               widget=forms.RadioSelect)
    value_column = forms.CharField(label=_("Value column (CSV)"), required=False,
                                   max_length=64, help_text=_("A header name or a number; "
                                                              "default the first column."))
    type_column = forms.CharField(label=_("Type column (CSV)"), required=False, max_length=64)
    comment_column = forms.CharField(label=_("Comment column (CSV)"), required=False,
                                     max_length=64)
    delimiter = forms.CharField(label=_("Delimiter (CSV)"), max_length=1, initial=",")
    has_header = forms.BooleanField(label=_("The first line is a header (CSV)"),
                                    required=False, initial=True)
    default_type = forms.ChoiceField(label=_("Type of the values"), required=False,
                                     choices=[("", _("recognise per value")), *TYPE_CHOICES])
    for_detection = forms.BooleanField(label=_("For detection"), required=False, initial=True)
    skip_invalid = forms.BooleanField(label=_("Skip invalid lines instead of refusing the "
                                              "import"), required=False)
    interval_minutes = forms.IntegerField(label=_("Fetch every (minutes)"), min_value=5,
                                          max_value=10_080, initial=60)
    enabled = forms.BooleanField(label=_("Fetch on schedule"), required=False, initial=True)
    tlp = forms.ChoiceField(label=_("TLP label"), initial="TLP:GREEN", choices=[
        c for c in TLP.choices if c[0] != "TLP:RED"])
    audience = forms.ChoiceField(label=_("Share with"), initial="participants", choices=[
        ("participants", _("all VR-ISAC participants")),
        ("partners", _("VR-ISAC participants and partners")),
        ("organisation", _("own organisation")), ("public", _("public")),
    ])


class WarninglistForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Warninglist.Kind.choices)
    entries = forms.CharField(
        label=_("Entries"), required=False, widget=forms.Textarea(attrs={"rows": 12,
                                                                          "class": "tall"}),
        help_text=_("One per line; a line starting with # is a comment. Regular expressions "
                    "use RE2 syntax (no back-references or look-arounds)."))
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.CharField(label=_("Source"), required=False, max_length=1000)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(label=_("Over-correlation threshold"), min_value=1,
                                   max_value=100_000)


class ExclusionForm(forms.Form):
    value = forms.CharField(label=_("Value"), max_length=2048)
    comment = forms.CharField(label=_("Reason"), required=False, max_length=500)
