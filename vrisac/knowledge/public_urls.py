"""The public site (mounted at the root): every page in Dutch and, under ``en/``, English."""

from django.urls import URLPattern, path
from django.views.generic import RedirectView

from . import public_views
from .links import PAGES

app_name = "public"

urlpatterns: list[URLPattern] = [
    # The home page is the Digitale weerbaarheid page; its own slug leads there.
    path("digitale-weerbaarheid/", RedirectView.as_view(url="/", permanent=True)),
    path("en/digitale-weerbaarheid/", RedirectView.as_view(url="/en/", permanent=True)),
    path("contact/", public_views.contact, {"lang": "nl"}, name="contact"),
    path("en/contact/", public_views.contact, {"lang": "en"}, name="contact-en"),
    path("contact/verzonden/", public_views.contact_sent, {"lang": "nl"}, name="contact-sent"),
    path("en/contact/sent/", public_views.contact_sent, {"lang": "en"}, name="contact-sent-en"),
]

for _name, _slug in PAGES:
    _route = "" if _name == "home" else f"{_name}/"
    urlpatterns += [
        path(_route, public_views.page, {"slug": _slug, "name": _name, "lang": "nl"},
             name=_name),
        path(f"en/{_route}", public_views.page, {"slug": _slug, "name": _name, "lang": "en"},
             name=f"{_name}-en"),
    ]
