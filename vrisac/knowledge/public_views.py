"""The public site: the digital-resilience pages (Dutch at ``/``, English at ``/en/``) and the
contact form.

A page costs one read of the shared cache; it is sent with ``Cache-Control: public``, an
ETag and Last-Modified to anonymous visitors (and answers a conditional GET with 304), sets
no cookie, and is ``private`` for a signed-in member (whose header names them). Pages with
embedded players allow exactly those players' hosts in their ``frame-src``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from vrisac.core.errors import DomainError
from vrisac.core.request_context import client_ip

from . import antispam, selectors, services
from .conf import contact_settings
from .embeds import embed_from_player
from .forms import ContactForm
from .links import public_path

#: Anonymous visitors' browsers and shared caches may keep a page this long.
PUBLIC_MAX_AGE = 300
#: Templates change only with a new release, which restarts the processes: a page is never
#: older than the process that renders it.
STARTED_AT = timezone.now()
#: Rendered pages are kept per release of the templates: this process's start.
RELEASE = STARTED_AT.strftime("%Y%m%d%H%M%S%f")
HONEYPOT = "validatie"


def _language(lang: str) -> str:
    return "en" if lang == "en" else "nl"


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _cacheable(request: HttpRequest, response: HttpResponse, lang: str,
               last_modified: datetime | None, etag: str = "") -> HttpResponse:
    response["Content-Language"] = lang
    # A signed-in member's page differs (their menu and name): caches must tell them apart.
    patch_vary_headers(response, ("Cookie",))
    if not _plain_visitor(request) and request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
        return response
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    etag = etag or etag_of(response.content)
    moment = max(last_modified or STARTED_AT, STARTED_AT)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(moment.timestamp())
    return get_conditional_response(request, etag=etag, last_modified=int(moment.timestamp()),
                                    response=response) or response


def _media(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    media = []
    for row in rows:
        embed = embed_from_player(row["embed_url"])
        media.append({
            "pk": row["pk"],
            "title": row[f"title_{lang}"] or row["title_nl"],
            "description": row[f"description_{lang}"] or row["description_nl"],
            "duration": row["duration_seconds"],
            "url": row["url"],
            "embed": embed,
        })
    return media


def _plain_visitor(request: HttpRequest) -> bool:
    """An anonymous visitor without a session or pending messages: every such visitor gets
    the very same page, so it may be rendered once and kept."""
    return (settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "messages" not in request.COOKIES)


def _frames(response: HttpResponse, origins: list[str]) -> HttpResponse:
    if origins:
        # django-csp's per-response override (what its csp_replace decorator sets): only
        # the players on this page may be framed, and only once a visitor loads one.
        response._csp_replace = {"frame-src": origins}  # type: ignore[attr-defined]
    return response


@require_safe
def page(request: HttpRequest, slug: str, name: str, lang: str) -> HttpResponse:
    lang = _language(lang)
    content = selectors.public_page_content(slug)
    if content is None:
        raise Http404
    media = _media(content["media"], lang)
    origins = sorted({m["embed"].origin for m in media if m["embed"]})
    plain = _plain_visitor(request)
    variant = f"{lang}:{RELEASE}"
    kept = content.get("html", {}).get(variant) if plain else None
    if kept is not None:
        response = HttpResponse(kept["body"])
    else:
        with translation.override(lang):
            response = render(request, "knowledge/public/page.html", {
                "slug": slug,
                "url_name": name,
                "title": content[f"title_{lang}"],
                "summary": content[f"summary_{lang}"],
                "description": content[f"summary_{lang}"],
                "retention_months": contact_settings().retention_months,
                "body_html": content[f"body_html_{lang}"],
                "media": media,
                "updated_at": content["updated_at"],
            })
        if plain and not request.user.is_authenticated:
            kept = {"body": response.content, "etag": etag_of(response.content)}
            selectors.public_page_keep_html(slug, content, variant, kept)
    return _cacheable(request, _frames(response, origins), lang, content["updated_at"],
                      etag=kept["etag"] if kept else "")


def _contact_page(request: HttpRequest, lang: str, context: dict[str, Any],
                  status: int = 200) -> HttpResponse:
    conf = contact_settings()
    response = render(request, "knowledge/public/contact.html", {
        "url_name": "contact",
        "honeypot": HONEYPOT,
        "retention_months": conf.retention_months,
        **context,
    }, status=status)
    response["Content-Language"] = lang
    # A fresh form token per view: never stored by any cache.
    patch_cache_control(response, private=True, no_store=True)
    return response


def _thanks(lang: str) -> HttpResponse:
    response = HttpResponseRedirect(public_path("contact-sent", lang))
    response.status_code = 303
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def contact(request: HttpRequest, lang: str) -> HttpResponse:
    """The question form. A robot (the hidden field changed, no genuine form token, sent
    sooner than a person can, sent twice) is answered as if accepted; nothing is stored."""
    lang = _language(lang)
    conf = contact_settings()
    with translation.override(lang):
        if request.method != "POST":
            return _contact_page(request, lang, {"form": ContactForm(),
                                                 "token": antispam.issue_token()})
        form = ContactForm(request.POST)
        token = request.POST.get("token", "")
        screening = services.contact_screen(validation=request.POST.get(HONEYPOT),
                                            token=token, address=client_ip(request), conf=conf)
        if screening.verdict is services.Screening.RATE_LIMITED:
            response = _contact_page(request, lang, {"limited": True}, status=429)
            response["Retry-After"] = str(conf.window_minutes * 60)
            return response
        if screening.verdict is services.Screening.ROBOT:
            return _thanks(lang)
        if screening.verdict is services.Screening.EXPIRED:
            form.is_valid()
            return _contact_page(request, lang, {
                "form": form, "token": antispam.issue_token(),
                "form_error": _("This form was open for too long. Please check your question "
                                "and send it again."),
            })
        if form.is_valid():
            try:
                services.contact_message_create(nonce=screening.nonce, language=lang,
                                                conf=conf, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return _thanks(lang)
        return _contact_page(request, lang, {"form": form, "token": token})


@require_safe
def contact_sent(request: HttpRequest, lang: str) -> HttpResponse:
    lang = _language(lang)
    with translation.override(lang):
        response = render(request, "knowledge/public/contact_sent.html",
                          {"url_name": "contact-sent"})
    return _cacheable(request, response, lang, None)
