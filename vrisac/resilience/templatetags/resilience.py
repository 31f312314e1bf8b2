"""The resilience actions shown on an incident report's page."""

from __future__ import annotations

from typing import Any

from django import template

from vrisac.sharing.policy import can_moderate, viewer_for

from .. import selectors

register = template.Library()


@register.inclusion_tag("resilience/includes/report_actions.html", takes_context=True)
def resilience_report_actions(context: dict[str, Any], report: Any) -> dict[str, Any]:
    """NIS2 (own organisation) and the incident picture, for an incident report the viewer
    sees; nothing for other kinds or for roles that do not read content."""
    user = context["request"].user
    if report.kind != "incident" or not viewer_for(user).reads_content:
        return {"show": False}
    picture = selectors.picture_for_report(user=user, report=report)
    found = {
        "report": report,
        "nis2": selectors.nis2_for_report(user=user, report=report),
        "may_start_nis2": selectors.nis2_may_start(user=user, report=report),
        "picture": picture,
        "may_start_picture": picture is None and report.status == "published"
        and can_moderate(user, report),
    }
    found["show"] = any(found[k] for k in ("nis2", "may_start_nis2", "picture",
                                           "may_start_picture"))
    return found
