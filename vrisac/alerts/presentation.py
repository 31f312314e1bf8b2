"""Words about warnings that other parts (notifications, e-mail) show."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: The notification kind's label, translated in this app's catalogue.
KIND_LABEL = gettext_lazy("vulnerability in a product you run")

REMEDIATION_LABELS = {
    "vendor_fix": gettext_lazy("vendor fix"),
    "mitigation": gettext_lazy("mitigation"),
    "workaround": gettext_lazy("workaround"),
    "none_available": gettext_lazy("no fix available"),
    "no_fix_planned": gettext_lazy("no fix planned"),
    "required_action": gettext_lazy("required action (CISA)"),
}


def warning_kind_label(warning: Any) -> str:
    return _("warning, priority %(p)s") % {"p": warning.get_priority_display()}
