"""The public site's addresses: Dutch at ``/<page>/``, English at ``/en/<page>/``."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import PublicPage

Slug = PublicPage.Slug

#: (URL name, page slug) of the content pages; "home" is ``/`` (Digitale weerbaarheid).
PAGES: list[tuple[str, str]] = [
    ("home", Slug.RESILIENCE),
    ("vr-isac", Slug.VRISAC),
    ("ncsc", Slug.NCSC),
    ("nis2", Slug.NIS2),
    ("cvd", Slug.CVD),
    ("digitale-ontwrichting", Slug.DISRUPTION),
    ("podcasts", Slug.PODCASTS),
    ("video", Slug.VIDEO),
    ("privacy", Slug.PRIVACY),
]


@dataclass(frozen=True)
class MenuEntry:
    name: str
    label: str | Promise
    expansion: str | Promise = ""


MENU = [
    MenuEntry("home", _("Digital resilience")),
    MenuEntry("vr-isac", "VR-ISAC"),
    MenuEntry("ncsc", "NCSC"),
    MenuEntry("nis2", "NIS2"),
    MenuEntry("cvd", "CVD", _("Centre for Safety and Digitalisation")),
    MenuEntry("digitale-ontwrichting", _("Digital disruption")),
    MenuEntry("podcasts", _("Podcasts")),
    MenuEntry("video", _("Video")),
    MenuEntry("contact", _("Contact")),
]


#: The label of the button that opens the menu on small screens.
MENU_BUTTON = _("Menu")


def base_name(url_name: str | None) -> str:
    """``ncsc-en`` -> ``ncsc``."""
    name = url_name or ""
    return name[:-3] if name.endswith("-en") else name


def public_path(name: str, lang: str) -> str:
    """The address of a public page in a language (``public_path("ncsc", "en")``)."""
    return reverse(f"public:{name}{'-en' if lang == 'en' else ''}")


def public_path_or_none(name: str, lang: str) -> str | None:
    try:
        return public_path(name, lang)
    except NoReverseMatch:
        return None
