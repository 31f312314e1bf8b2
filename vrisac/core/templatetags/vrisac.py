from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from vrisac.core.paths import object_path
from vrisac.sharing.policy import MIN_GROUP_SIZE, can_see_source
from vrisac.sharing.tlp import css_class

register = template.Library()


@register.simple_tag
def tlp_badge(label: str) -> str:
    return format_html('<span class="tlp {}" title="Traffic Light Protocol 2.0">{}</span>',
                       css_class(label), label)


@register.filter
def tlp_class(label: str) -> str:
    return css_class(label)


@register.filter
def path(pk: Any, name: str) -> str:
    """``{{ report_id|path:"reports:detail" }}``: ``{% url "reports:detail" report_id %}``
    at a fraction of its cost (``vrisac.core.paths.object_path``), for rows of a list."""
    return object_path(name, pk) if pk not in (None, "") else ""


_MONTHS: dict[str, list[str]] = {}


@register.filter(expects_localtime=True)
def when(value: Any) -> str:
    """``{{ value|date:"j M Y H:i" }}`` (``3 Mar 2026 14:05``, months in the language of the
    page): the same text, without building Django's date formatter for every row."""
    if not isinstance(value, datetime):
        return str(date_filter(value, "j M Y H:i"))
    language = get_language() or ""
    months = _MONTHS.get(language)
    if months is None:
        months = _MONTHS[language] = ["", *(str(MONTHS_3[n]).title() for n in range(1, 13))]
    return f"{value.day} {months[value.month]} {value.year} {value.hour:02d}:{value.minute:02d}"


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


@register.simple_tag
def min_group_size() -> int:
    """The policy's minimum group for aggregates, for texts that name it."""
    return MIN_GROUP_SIZE


@register.filter
def group_count(value: int | None) -> str:
    """A count of organisations as the policy lets it be shown (``policy.group_count``): the
    number, or "fewer than 6" where the policy withheld it (None)."""
    if value is None:
        return _("fewer than %(n)d") % {"n": MIN_GROUP_SIZE}
    return str(value)
