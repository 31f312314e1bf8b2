from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ProductAlias


class AliasForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProductAlias.Kind.choices)
    alias = forms.CharField(label=_("Name as written"), max_length=200,
                            help_text=_("For example: NetScaler ADC"))
    canonical = forms.CharField(label=_("Means"), max_length=200,
                                help_text=_("For example: NetScaler Application Delivery "
                                            "Controller (as NVD names it)"))
