"""A hostile world: the demo platform with every text a user or a feed can fill replaced by
a stored-XSS payload (tests/assurance/inert.py), and the crawl of every page of the URLconf.

The payloads are written straight into the text columns of every model of the platform
(after the demo data put something in each), so that no text field is missed, also the ones
that services clean or limit: what the pages do with stored text is the question here, not
what the forms let in. Some columns are not text a person writes (identifiers, codes,
hashes, choices); they keep their values, and ``KEPT`` says why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.assurance.inert import payload

#: Models whose text is not written by people or feeds, or must not be touched.
KEPT_MODELS = {
    "core.auditevent": "the audit log is hash-chained and only ever appended by services",
    "sessions.session": "framework data",
    "contenttypes.contenttype": "framework data",
    "auth.permission": "framework data",
    "django_tasks_database.dbtaskresult": "the job queue's own rows",
    "mfa.authenticator": "secrets",
    "accounts.apitoken": "token digests",
    "account.emailaddress": "e-mail addresses are validated",
}

#: Columns that hold identifiers, codes or machine values rather than free text.
KEPT_FIELDS = {
    "slug", "email", "tlp", "status", "kind", "language", "lang", "token", "token_hash",
    "key", "digest", "sha256", "content_sha256", "etag", "hash", "previous_hash", "period",
    "code", "cve_id", "password", "uuid", "storage_name", "content_type", "mime_type",
    "media_type", "state", "role", "type", "audience", "name_key", "priority", "level",
    "vector", "cvss3_vector", "cvss4_vector", "cpe", "purl", "version", "queue_name",
    "backend_name", "priority_label", "source", "fmt", "format", "delimiter", "iso_code",
}


def _text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    fields: list[models.Field[Any, Any]] = []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if isinstance(field, models.EmailField | models.SlugField | models.URLField):
            continue
        if field.primary_key or field.unique or field.choices or field.name in KEPT_FIELDS:
            continue
        if field.name.endswith(("_id", "_hash", "_key", "_sha256", "_code", "_type")):
            continue
        if "html" in field.name:
            # The HTML that a service rendered from the Markdown source (through the
            # sanitiser); the source column next to it gets the payload and is re-rendered.
            continue
        fields.append(field)
    return fields


def poison() -> dict[str, int]:
    """Fill every free-text column of the platform's rows with payloads; {model: fields}."""
    done: dict[str, int] = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in KEPT_MODELS or not model.__module__.startswith(("vrisac.",)):
            continue
        fields = _text_fields(model)
        if not fields or not model._default_manager.exists():
            continue
        values = {f.name: payload(f"{model.__name__}.{f.name}", f.max_length) for f in fields}
        try:
            with transaction.atomic():
                model._default_manager.update(**values)
        except IntegrityError:
            # A uniqueness across columns: each row gets its own payload.
            for pk in model._default_manager.values_list("pk", flat=True):
                own = {name: (value + f"#{pk}")[-(field.max_length or 10**6):]
                       for (name, value), field in zip(values.items(), fields, strict=True)}
                with transaction.atomic():
                    model._default_manager.filter(pk=pk).update(**own)
        _rerender(model)
        done[label] = len(fields)
    return done


def _rerender(model: type[models.Model]) -> None:
    """Render the Markdown columns again into their HTML copies (``body`` into
    ``body_html``, ``body_nl`` into ``body_html_nl``), as the services do on every write."""
    from vrisac.core.markdown import render_markdown

    names = {f.name for f in model._meta.concrete_fields}
    pairs = {html: html.replace("_html", "") for html in names if "_html" in html}
    pairs = {html: source for html, source in pairs.items() if source in names}
    if not pairs:
        return
    for row in model._default_manager.values("pk", *pairs.values()):
        model._default_manager.filter(pk=row["pk"]).update(
            **{html: render_markdown(row[source]) for html, source in pairs.items()})


# --- the URLconf as a crawler sees it -------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    module: str
    pattern: Any

    @property
    def parameters(self) -> list[str]:
        return list(self.pattern.pattern.regex.groupindex)


def routes() -> Iterator[Route]:
    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Route]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                yield Route(prefix + str(entry.pattern), namespace + (entry.name or ""),
                            entry.callback.__module__, entry)
    yield from walk(get_resolver().url_patterns, "", "")


def _first(label: str, field: str = "pk", **filters: Any) -> Callable[[], Any]:
    def get() -> Any:
        return apps.get_model(label)._default_manager.filter(**filters).order_by("pk") \
            .values_list(field, flat=True).first()
    return get


def _period() -> Any:
    row = apps.get_model("resilience.assessment")._default_manager.order_by("-pk") \
        .values_list("year", "quarter").first()
    return f"{row[0]}-q{row[1]}" if row else "2026-q3"


#: How each parameter of a page is filled, by the page's name and the parameter's name.
ARGUMENTS: dict[str, dict[str, Callable[[], Any]]] = {
    "accounts:token_revoke": {"pk": _first("accounts.apitoken")},
    "accounts:change_confirm": {"token": lambda: "not-a-real-change-token"},
    "organisations:unlock": {"user_pk": _first("accounts.user")},
    "invitation": {"token": lambda: "not-a-real-invitation-token"},
    "organisations:end": {"pk": _first("organisations.membership")},
    "organisations:hand_over": {"pk": _first("organisations.membership")},
    "reports:*": {"pk": _first("reports.report"), "uuid": _first("reports.attachment", "uuid")},
    "intel:indicator*": {"pk": _first("intel.indicator")},
    "intel:sighting": {"pk": _first("intel.indicator")},
    "intel:feed*": {"pk": _first("intel.feed")},
    "intel:warninglist*": {"pk": _first("intel.warninglist")},
    "intel:exclusion_remove": {"pk": _first("intel.correlationexclusion")},
    "advisories:detail": {"pk": _first("advisories.advisory")},
    "advisories:vulnerability": {"cve_id": _first("advisories.vulnerability", "cve_id")},
    "advisories:alias_remove": {"pk": _first("advisories.productalias")},
    "assets:*": {"pk": _first("assets.inventoryitem")},
    "alerts:*": {"pk": _first("alerts.warning"),
                 "cve_id": _first("advisories.vulnerability", "cve_id")},
    "resilience:assessment": {"period": _period},
    "resilience:action_create": {"period": _period},
    "resilience:action_update": {"pk": _first("resilience.improvementaction")},
    "resilience:benchmark_chart": {"period": _period},
    "resilience:correction_decide": {"pk": _first("resilience.assessmentcorrection")},
    "resilience:strategic_chart": {"period": _period, "name": lambda: "scores"},
    "resilience:strategic_pdf": {"period": _period},
    "resilience:nis2_start": {"report_id": _first("reports.report", kind="incident")},
    "resilience:nis2_*": {"pk": _first("resilience.nis2incident"),
                          "stage_id": _first("resilience.nis2stage"), "fmt": lambda: "json"},
    "resilience:picture*": {"report_id": _first("resilience.incidentpicture", "report_id")},
    "resilience:adoption": {"pk": _first("resilience.advice")},
    "resilience:rfi_*": {"pk": _first("resilience.informationrequest")},
    "resilience:meeting*": {"pk": _first("resilience.meeting")},
    "resilience:minutes_*": {"pk": _first("resilience.meeting")},
    "knowledge:item*": {"uuid": _first("knowledge.knowledgeitem", "uuid"),
                        "version": lambda: 1},
    "knowledge:page_*": {"slug": _first("knowledge.publicpage", "slug")},
    "knowledge:media_edit": {"pk": _first("knowledge.mediaitem")},
    "knowledge:contact_detail": {"pk": _first("knowledge.contactmessage")},
    "ops:job": {"pk": _first("core.job")},
    "taxii_client:*": {"pk": _first("taxii_client.remotecollection")},
}

#: Pages that are not visited, and why.
NOT_VISITED = {
    "account_reset_password_from_key": "a one-time link of allauth's own templates",
}
#: Routes left to other tests, by prefix.
NOT_VISITED_PREFIXES = {
    "api/": "JSON, not pages: fuzzed from its OpenAPI document (test_hostile_api.py)",
    "taxii2/": "TAXII JSON (application/taxii+json, nosniff), not pages; hostile envelopes "
               "in vrisac/interop/taxii/tests/test_protocol.py",
    "misp/": "MISP JSON, CSV and text (nosniff), not pages; hostile documents in "
             "vrisac/interop/misp/tests/test_bad_input.py",
    "stix/": "STIX bundles as JSON downloads (attachment, nosniff), not pages",
}


def _arguments_for(route: Route) -> dict[str, Callable[[], Any]] | None:
    for key, arguments in ARGUMENTS.items():
        if key == route.name or (key.endswith("*") and route.name.startswith(key[:-1])):
            return arguments
    return None


def url_of(route: Route) -> str | None:
    """The URL to visit for ``route``; None when it takes parameters nobody said how to fill
    (a new page: add it to ``ARGUMENTS``)."""
    if route.name in NOT_VISITED or route.route.startswith(tuple(NOT_VISITED_PREFIXES)):
        return ""
    params = route.parameters
    values: dict[str, Any] = {}
    if params:
        if route.route.startswith("django-admin/"):
            # Django's own admin: its lists and forms (no parameters) are visited; its
            # per-object pages are the same templates.
            return ""
        arguments = _arguments_for(route)
        if arguments is None or any(p not in arguments for p in params):
            return None
        values = {p: arguments[p]() for p in params}
        if any(v is None for v in values.values()):
            return None
    path = route.route
    for name, value in values.items():
        path = _fill(path, name, str(value))
    return "/" + path.lstrip("^").rstrip("$")


def _fill(path: str, name: str, value: str) -> str:
    import re

    return re.sub(r"<(?:\w+:)?" + re.escape(name) + r">", value, path)
