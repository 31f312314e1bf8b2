from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from vrisac.knowledge.links import MENU, MENU_BUTTON, base_name, public_path, public_path_or_none

register = template.Library()


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "nl"


@register.simple_tag
def public_url(name: str, lang: str = "") -> str:
    """A public page's address in the current (or the given) language."""
    return public_path(name, lang or _lang())


@register.simple_tag(takes_context=True)
def public_menu(context: dict[str, Any]) -> list[dict[str, Any]]:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    current = base_name(match.url_name) if match and match.namespace == "public" else ""
    if current == "contact-sent":
        current = "contact"
    lang = _lang()
    return [
        {"url": public_path_or_none(entry.name, lang), "label": entry.label,
         "expansion": entry.expansion, "current": entry.name == current}
        for entry in MENU
    ]


@register.simple_tag
def public_menu_button() -> str:
    return str(MENU_BUTTON)


def _hms(seconds: int) -> tuple[int, int, int]:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


@register.filter
def duration(seconds: int | None) -> str:
    """1830 -> "30:30"; 3900 -> "1:05:00"."""
    if not seconds:
        return ""
    hours, minutes, secs = _hms(seconds)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def iso_duration(seconds: int | None) -> str:
    """1830 -> "PT30M30S" (for <time datetime>)."""
    if not seconds:
        return ""
    hours, minutes, secs = _hms(seconds)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (
        f"{secs}S" if secs else "")
