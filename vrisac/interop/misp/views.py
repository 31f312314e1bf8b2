"""The MISP-compatible API under ``/misp/``: enough of MISP's REST API for PyMISP and for
another MISP instance's pull. The key arrives raw in ``Authorization`` (or
``X-MISP-AUTH``); it is one of the platform's API tokens, with the ``misp:read`` or
``misp:write`` scope. Every answer, errors included, has MISP's shape."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from vrisac.accounts.models import ApiToken
from vrisac.accounts.services import TokensBlocked, token_authenticate
from vrisac.core.errors import DomainError, NotAllowed, NotFound
from vrisac.core.request_context import Origin, current_origin, set_origin
from vrisac.sharing.policy import viewer_for

from . import feed, search, selectors, services
from .formats import RETURN_FORMATS, Results, json_answer
from .mapping import (
    MISP_VERSION,
    PYMISP_RECOMMENDED,
    attribute_json,
    describe_types,
    organisation_json,
)

MAX_DEPTH = 32

Handler = Callable[..., HttpResponse]


def misp_error(request: HttpRequest, message: str, status: int,
               errors: Any = None) -> HttpResponse:
    """An error as MISP answers one: ``name``, ``message``, ``url`` and ``errors``."""
    return json_answer({"name": message, "message": message, "url": request.path,
                        "errors": errors if errors is not None else message}, status=status)


def _key(request: HttpRequest) -> str:
    raw = request.headers.get("Authorization") or request.headers.get("X-MISP-AUTH") or ""
    raw = raw.strip()
    return raw[7:].strip() if raw.lower().startswith("bearer ") else raw


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def read_body(request: HttpRequest) -> Any:
    """The JSON body (``None`` when empty); malformed, too deep or too large is refused."""
    raw = request.body
    if not raw.strip():
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DomainError(f"The body is not valid JSON: {exc}.", field="body") from None
    if _depth(data) > MAX_DEPTH:
        raise DomainError(f"The body is nested deeper than {MAX_DEPTH} levels.",
                          field="body")
    return data


def named_params(raw: str | None) -> dict[str, str]:
    """CakePHP's named parameters in the path (``/scope:local/searchall:x``)."""
    params: dict[str, str] = {}
    for part in (raw or "").strip("/").split("/"):
        if ":" in part:
            key, _sep, value = part.partition(":")
            params[key] = value
    return params


def misp_endpoint(scope: str, methods: tuple[str, ...]) -> Callable[[Handler], Handler]:
    """Token authentication, the scope, the method, and MISP-shaped errors for a view."""

    def decorate(view: Handler) -> Handler:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                found: ApiToken | None = token_authenticate(_key(request), channel="misp")
            except TokensBlocked:
                return misp_error(request, "Too many wrong keys from this address; try "
                                  "again later.", 429)
            if found is None:
                return misp_error(request, "Authentication failed. Please make sure you "
                                  "pass the API key of an API enabled user along in the "
                                  "Authorization header.", 403)
            if scope not in found.scopes:
                return misp_error(request, f"This key lacks the scope {scope}.", 403)
            if request.method not in methods:
                return misp_error(request, f"You don't have permission to access "
                                  f"{request.path} with {request.method}.", 405)
            request.user = found.user
            request.misp_token = found  # type: ignore[attr-defined]
            origin = current_origin()
            set_origin(Origin(ip=origin.ip, request_id=origin.request_id, channel="misp"))
            try:
                # A protocol face: its clients are programs, which expect MISP's English.
                with translation.override("en"):
                    return view(request, *args, **kwargs)
            except RequestDataTooBig:
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
                return misp_error(request, f"The request body is larger than {limit} MB.",
                                  413)
            except NotFound as exc:
                return misp_error(request, exc.message or "Invalid target.", 404)
            except NotAllowed as exc:
                # Not allowed and not there answer alike where content is confidential.
                return misp_error(request, exc.message, 403)
            except DomainError as exc:
                return misp_error(request, exc.message, 400,
                                  errors={exc.field or "body": [exc.message]})

        return wrapped

    return decorate


# --- the instance ----------------------------------------------------------------------------

@misp_endpoint("misp:read", ("GET",))
def get_version(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    return json_answer({"version": MISP_VERSION, "pymisp_recommended_version":
                        PYMISP_RECOMMENDED, "perm_sync": False,
                        "perm_sighting": viewer.reads_content,
                        "perm_galaxy_editor": False, "request_encoding": [],
                        "filter_sightings": True})


@misp_endpoint("misp:read", ("GET",))
def user_view(request: HttpRequest, ref: str, named: str | None = None) -> HttpResponse:
    if ref not in ("me", str(request.user.pk)):
        return misp_error(request, "Invalid user.", 404)
    user: Any = request.user
    viewer = viewer_for(user)
    organisation = None
    if viewer.organisation_id is not None:
        organisation = next(iter(selectors.organisations().filter(pk=viewer.organisation_id)),
                            None)
    org = organisation_json(organisation) if organisation is not None else {}
    token: Any = getattr(request, "misp_token", None)
    writes = viewer.reads_content and token is not None and "misp:write" in token.scopes
    role = {"id": "3", "name": ", ".join(sorted(viewer.roles)) or "none",
            "perm_add": writes, "perm_modify": writes, "perm_modify_org": writes,
            "perm_publish": writes, "perm_sighting": viewer.reads_content,
            "perm_tagger": writes, "perm_auth": True, "perm_site_admin": False,
            "perm_admin": False, "perm_sync": False, "perm_audit": False,
            "perm_regexp_access": False, "perm_template": False, "perm_sharing_group": False,
            "perm_tag_editor": False, "perm_delegate": False, "perm_galaxy_editor": False,
            "perm_warninglist": False, "perm_view_feed_correlations": False,
            "default_role": False}
    return json_answer({
        "User": {"id": str(user.pk), "email": user.email, "org_id": org.get("id", "0"),
                 "role_id": "3", "autoalert": False, "contactalert": False,
                 "disabled": not user.is_active, "change_pw": False, "termsaccepted": True,
                 "date_created": str(int(user.date_joined.timestamp())),
                 "last_login": str(int(user.last_login.timestamp()))
                 if user.last_login else "0"},
        "Role": role,
        "UserSetting": {},
        "Organisation": org,
    })


@misp_endpoint("misp:read", ("GET",))
def describe(request: HttpRequest) -> HttpResponse:
    return json_answer(describe_types())


@misp_endpoint("misp:read", ("GET",))
def organisations_index(request: HttpRequest, named: str | None = None) -> HttpResponse:
    params = named_params(named)
    qs = selectors.organisations()
    if params.get("searchall"):
        qs = qs.filter(name__icontains=params["searchall"].replace("%", "")[:100])
    return json_answer([{"Organisation": organisation_json(o)} for o in qs])


# --- events ----------------------------------------------------------------------------------

@misp_endpoint("misp:read", ("GET", "POST"))
def events_index(request: HttpRequest, named: str | None = None) -> HttpResponse:
    params = named_params(named)
    body = read_body(request) if request.method == "POST" else None
    if isinstance(body, dict):
        params.update({k: str(v) for k, v in body.items() if isinstance(v, (str, int))})
    limit = _bounded(params.get("limit"), "limit", 1, search.MAX_EVENTS_PER_PAGE) \
        or search.MAX_EVENTS_PER_PAGE
    page = _bounded(params.get("page"), "page", 1, 1_000_000) or 1
    qs = selectors.events(request.user).prefetch_related("tags").order_by("-published_at",
                                                                         "-pk")
    reports = list(qs[(page - 1) * limit:page * limit])
    return json_answer(selectors.event_index_json(request.user, reports))


def _bounded(raw: str | None, name: str, low: int, high: int) -> int | None:
    if raw in (None, ""):
        return None
    assert raw is not None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise DomainError(f"{name}: a whole number from {low} to {high}.", field=name)
    return int(raw)


@misp_endpoint("misp:read", ("GET", "POST", "HEAD"))
def event_view(request: HttpRequest, ref: str, named: str | None = None) -> HttpResponse:
    report = selectors.event_get(user=request.user, ref=ref)
    if request.method == "HEAD":
        return HttpResponse(status=200)
    return json_answer(selectors.events_json(request.user, [report])[0])


def _event_answer(request: HttpRequest, report: Any) -> HttpResponse:
    fresh = selectors.event_get(user=request.user, ref=str(report.pk))
    return json_answer(selectors.events_json(request.user, [fresh])[0])


@misp_endpoint("misp:write", ("POST",))
def event_add(request: HttpRequest, named: str | None = None) -> HttpResponse:
    report = services.event_add(user=request.user, body=read_body(request))
    return _event_answer(request, report)


@misp_endpoint("misp:write", ("POST", "PUT"))
def event_edit(request: HttpRequest, ref: str, named: str | None = None) -> HttpResponse:
    report = services.event_edit(user=request.user, ref=ref, body=read_body(request))
    return _event_answer(request, report)


@misp_endpoint("misp:write", ("POST",))
def event_publish(request: HttpRequest, ref: str, named: str | None = None) -> HttpResponse:
    report, changed = services.event_publish(user=request.user, ref=ref)
    message = "Event published." if changed else "Event was already published."
    return json_answer({"name": "Publish", "message": message, "url": request.path,
                        "id": str(report.pk)})


@misp_endpoint("misp:read", ("POST", "GET"))
def rest_search(request: HttpRequest, controller: str,
                named: str | None = None) -> HttpResponse:
    body = read_body(request) if request.method == "POST" else None
    params: dict[str, Any] = {k: v for k, v in named_params(named).items()}
    if body is not None:
        if not isinstance(body, dict):
            raise DomainError("The search body is a JSON object of filters.", field="body")
        params.update({k: v for k, v in body.items() if v is not None})
    if request.method == "GET":
        params.update({k: v for k, v in request.GET.items()})
    fmt = str(params.get("returnFormat") or "json")
    answer = RETURN_FORMATS.get(fmt)
    if answer is None:
        raise DomainError(f"The return format {fmt[:30]!r} is not supported; use "
                          f"{', '.join(RETURN_FORMATS)}.", field="returnFormat")
    filters = search.parse(params, controller=controller)
    if controller == "events":
        results = Results("events", request.user, search.search_events(request.user, filters),
                          [], enforce_warninglist=filters.warninglist)
    else:
        results = Results("attributes", request.user, [],
                          search.search_attributes(request.user, filters))
    return answer(results)


# --- attributes, tags, sightings ---------------------------------------------------------------

@misp_endpoint("misp:write", ("POST",))
def attribute_add(request: HttpRequest, ref: str, named: str | None = None) -> HttpResponse:
    body = read_body(request)
    duplicate = named_params(named).get("breakOnDuplicate", "1") != "0"
    indicators = services.attributes_add(user=request.user, ref=ref, body=body,
                                         break_on_duplicate=duplicate)
    rendered = [attribute_json(i, report=i.report, deleted=False) for i in indicators]
    if isinstance(body, list):
        return json_answer({"Attribute": rendered[0] if len(rendered) == 1 else rendered})
    return json_answer({"Attribute": rendered[0]})


@misp_endpoint("misp:write", ("POST",))
def tag_attach(request: HttpRequest) -> HttpResponse:
    body = read_body(request)
    if not isinstance(body, dict):
        raise DomainError("The body is {\"uuid\": ..., \"tag\": ...}.", field="body")
    services.tag_attach(user=request.user, ref=str(body.get("uuid") or ""),
                        tag=str(body.get("tag") or ""))
    return json_answer({"saved": True, "success": "Tag attached.", "check_publish": True})


@misp_endpoint("misp:write", ("POST",))
def sighting_add(request: HttpRequest, ref: str | None = None) -> HttpResponse:
    made = services.sighting_add(user=request.user, body=read_body(request),
                                 attribute_ref=ref)
    first = made[0]
    indicator = first.indicator
    return json_answer({
        "Sighting": {"id": str(first.pk), "uuid": "", "attribute_id": str(first.indicator_id),
                     "event_id": str(indicator.report_id) if indicator else "0",
                     "org_id": str(first.organisation_id),
                     "date_sighting": str(int(first.seen_at.timestamp())),
                     "source": first.source, "type": {"seen": "0", "false_positive": "1",
                                                      "expired": "2"}[first.kind],
                     "value": first.value.value},
        "message": f"{len(made)} sighting(s) added."})


# --- the feed ----------------------------------------------------------------------------------

@misp_endpoint("misp:read", ("GET", "HEAD"))
def feed_file(request: HttpRequest, name: str) -> HttpResponse:
    content, content_type = feed.serve(viewer=viewer_for(request.user), name=name)
    return HttpResponse(content, content_type=content_type)
