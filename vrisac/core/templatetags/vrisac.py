from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from vrisac.sharing.policy import can_see_source
from vrisac.sharing.tlp import css_class

register = template.Library()


@register.simple_tag
def tlp_badge(label: str) -> str:
    return format_html('<span class="tlp {}" title="Traffic Light Protocol 2.0">{}</span>',
                       css_class(label), label)


@register.filter
def tlp_class(label: str) -> str:
    return css_class(label)


@register.simple_tag(takes_context=True)
def source_of(context: dict[str, Any], obj: Any) -> str:
    """The sharing organisation, or "a VR-ISAC participant" for those who may not know."""
    user = context["request"].user
    if can_see_source(user, obj):
        name = obj.organisation.name
        if obj.anonymous:
            return format_html("{} <span class=\"badge badge-status\">{}</span>", name,
                               _("shared anonymously"))
        return name
    return _("a VR-ISAC participant")
