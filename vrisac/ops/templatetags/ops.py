from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def duration(value: object) -> str:
    """A run's duration as people read it: 0.004 s, 12.3 s, 4 min 05 s, 2 h 07 min."""
    if not isinstance(value, timedelta):
        return "—"
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{number_format(seconds, 3)} s"
    if seconds < 60:
        return f"{number_format(seconds, 1)} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
