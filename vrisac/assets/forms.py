from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import InventoryItem


class ItemForm(forms.ModelForm):
    """An inventory item's fields; the rules (CPE, purl, duplicates) live in the services."""

    class Meta:
        model = InventoryItem
        fields = ["vendor", "product", "version", "cpe", "purl", "internet_facing",
                  "criticality", "owner", "notes"]
        help_texts = {
            "version": _("As the vendor writes it, e.g. 13.1-49.13, V2302.0012, 9.2 Corefix 14."),
            "cpe": _("Optional, e.g. cpe:2.3:a:citrix:netscaler_application_delivery_controller:"
                     "13.1-49.13:*:*:*:*:*:*:*; * matches any value."),
            "purl": _("Optional, e.g. pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
            "criticality": _("For the region's operations: high for the alarm and dispatch "
                             "chain or crisis communication, low for office IT that can wait."),
            "owner": _("Who looks after it (a team or a supplier)."),
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: vendor,product,version,cpe,purl,internet_facing,criticality "
                    "(internet_facing yes/no, criticality high/medium/low); owner and notes "
                    "are optional. At most 10 MB."))
