from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vrisac.sharing.tlp import TLP

from .models import Warning, WarningPreference


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Warning.Status.choices,
                               widget=forms.RadioSelect)
    justification = forms.CharField(
        label=_("Justification"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for \"not affected\": why (the module is not installed, the "
                    "feature is off, the system is not reachable)."))


class LookupForm(forms.Form):
    q = forms.CharField(label=_("CVE id, advisory id or product"), max_length=200,
                        help_text=_("For example CVE-2023-4966, NCSC-2024-0001 or NetScaler."))


class PreferenceForm(forms.Form):
    mode = forms.ChoiceField(label=_("E-mail about warnings"),
                             choices=WarningPreference.Mode.choices, widget=forms.RadioSelect)


class IsacReportForm(forms.Form):
    tlp = forms.ChoiceField(label=_("TLP label"),
                            choices=[c for c in TLP.choices if c[0] != TLP.RED],
                            initial=TLP.GREEN)
    extra = forms.CharField(label=_("Additional text"), required=False, max_length=10_000,
                            widget=forms.Textarea(attrs={"rows": 5}),
                            help_text=_("Markdown. Added below the generated text."))
