from __future__ import annotations

from typing import Any

from django import template

from vrisac.sharing.policy import can_edit, viewer_for

from .. import selectors
from ..presentation import show

register = template.Library()


@register.inclusion_tag("intel/includes/report_indicators.html", takes_context=True)
def report_indicators(context: dict[str, Any], report: Any) -> dict[str, Any]:
    """The indicators of a report with their correlations, as the viewer may see them."""
    user = context["request"].user
    rows = list(selectors.report_indicators(user=user, report=report))
    return {
        "report": report,
        "shown": show(user=user, indicators=rows),
        "can_add": can_edit(user, report) and report.status != "retracted",
        "is_coordinator": viewer_for(user).is_coordinator,
        "request": context["request"],
    }


@register.filter
def type_label(type_: str) -> str:
    from ..models import TYPE_CHOICES

    return str(dict(TYPE_CHOICES).get(type_, type_))


@register.filter
def wl_name(name: str) -> str:
    """A warninglist's name in the reader's language (shipped lists are in the catalogue)."""
    from django.utils.translation import gettext

    return gettext(name)
