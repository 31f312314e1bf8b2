"""THE visibility policy. The one place that decides who may see shared content.

Every read path (pages, search, REST, TAXII, MISP, exports, feeds, e-mail, dashboards,
correlations) asks here, as a queryset filter (``SharedQuerySet.visible_to``) or as a
predicate (``can_view``). Both say the same thing; a property-based test holds them to it.

The rules, for content in a shared state (published or retracted):

* ``public`` (TLP:CLEAR only): everyone, signed in or not.
* ``participants``: every participant and ISAC coordinator.
* ``partners``: participants, coordinators and partners (NCSC-NL, other ISACs).
* ``organisation``: the members of the sharing organisation.
* ``organisations``: the members of the sharing organisation and of the named ones.
* ``people`` (required for TLP:RED): the named people, and the author.

The author always sees their own content, drafts included. Only people with a current
membership in a content role (participant, coordinator, partner) see anything beyond
public content: the owner observer and administrators see aggregates, never contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import BooleanField, Exists, Expression, OuterRef, Q
from django.db.models.sql import Query

from .models import SHARED_STATUSES, Audience

if TYPE_CHECKING:
    from vrisac.accounts.models import User

CONTENT_ROLES = frozenset({"participant", "coordinator", "partner"})
PARTICIPANT_ROLES = frozenset({"participant", "coordinator"})

_VIEWER_ATTR = "_vrisac_viewer"


@dataclass(frozen=True)
class Viewer:
    """Who is looking, as far as the policy cares."""

    user_id: int | None
    organisation_ids: frozenset[int] = frozenset()
    roles: frozenset[str] = frozenset()

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def reads_content(self) -> bool:
        return bool(self.roles & CONTENT_ROLES)

    @property
    def is_participant(self) -> bool:
        return bool(self.roles & PARTICIPANT_ROLES)

    @property
    def is_coordinator(self) -> bool:
        return "coordinator" in self.roles

    @property
    def is_partner(self) -> bool:
        return "partner" in self.roles

    @property
    def is_observer(self) -> bool:
        return "observer" in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def sees_aggregates(self) -> bool:
        return bool(self.roles & {"observer", "coordinator", "admin"})

    @property
    def organisation_id(self) -> int | None:
        return min(self.organisation_ids) if self.organisation_ids else None


ANONYMOUS = Viewer(user_id=None)


def viewer_for(user: Any) -> Viewer:
    """The viewer behind a user (or AnonymousUser, or None), cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, _VIEWER_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_active:
        # A removed person sees nothing, not even what they wrote.
        viewer = ANONYMOUS
    else:
        from vrisac.organisations.models import Membership

        rows = list(
            Membership.objects.current().filter(user_id=user.pk).values_list(
                "organisation_id", "role"
            )
        )
        viewer = Viewer(
            user_id=user.pk,
            organisation_ids=frozenset(org for org, _ in rows),
            roles=frozenset(role for _, role in rows),
        )
    setattr(user, _VIEWER_ATTR, viewer)
    return viewer


def forget_viewer(user: Any) -> None:
    """Drop the cached viewer (after a membership change in the same request)."""
    if hasattr(user, _VIEWER_ATTR):
        delattr(user, _VIEWER_ATTR)


def _m2m_exists(model: type[models.Model], field_name: str, values: Any) -> Exists:
    field = model._meta.get_field(field_name)
    through = field.remote_field.through  # type: ignore[union-attr]
    source = field.m2m_field_name()  # type: ignore[union-attr]
    target = field.m2m_reverse_field_name()  # type: ignore[union-attr]
    lookup = f"{target}_id__in" if not isinstance(values, int) else f"{target}_id"
    return Exists(through.objects.filter(**{f"{source}_id": OuterRef("pk"), lookup: values}))


def visible_q(model: type[models.Model], viewer: Viewer) -> Q:
    """The policy as a filter on a model with the ``SharedContent`` fields. Queries take it
    compiled (``Visible``), also for content that belongs to such a model (``via``)."""
    shared = Q(status__in=SHARED_STATUSES)
    allowed: Any = Q(audience=Audience.PUBLIC)
    if viewer.reads_content:
        orgs = viewer.organisation_ids
        if viewer.is_participant:
            allowed |= Q(audience__in=[Audience.PARTICIPANTS, Audience.PARTNERS])
        elif viewer.is_partner:
            allowed |= Q(audience=Audience.PARTNERS)
        allowed |= Q(audience=Audience.ORGANISATION, organisation_id__in=orgs)
        allowed |= Q(audience=Audience.ORGANISATIONS) & (
            Q(organisation_id__in=orgs) | _m2m_exists(model, "audience_organisations", orgs)
        )
        allowed |= Q(audience=Audience.PEOPLE) & _m2m_exists(
            model, "audience_people", viewer.user_id
        )
    condition = shared & allowed
    if viewer.user_id is not None:
        condition |= Q(author_id=viewer.user_id)
    return condition


_M = TypeVar("_M", bound=models.Model)


@lru_cache(maxsize=2048)
def _compiled_condition(model: type[models.Model], viewer: Viewer, using: str
                        ) -> tuple[str, tuple[Any, ...]]:
    """``visible_q(model, viewer)`` compiled once per model, viewer and database (``using``),
    on a query of its own, as a WHERE condition on the model's table (its columns written
    ``"table"."column"``)."""
    query = Query(model)
    # A prefix of its own: the EXISTS sub-queries inside then keep their table names as
    # aliases, which no alias of the model's own table can ever be (see ``Visible``).
    query.alias_prefix = "P"
    query.add_q(visible_q(model, viewer))
    sql, params = query.get_compiler(using=using).compile(query.where)
    return sql, tuple(params)


class Visible(Expression):
    """The policy as a condition in a query: ``visible_q`` of the query's own model, compiled
    once per viewer and reused (building and compiling the policy's filter costs the ORM
    about 1.5 ms; a page asks it several times, on every request).

    The condition reads only the model's own columns and correlated EXISTS sub-queries, so
    the SQL compiled for the model's table serves any query on that model: the table's name
    is put in place of the alias the query gives the model (``U0`` when the query is used as
    a sub-query). The sub-queries' aliases are their own table names, never an alias of the
    model's table, so the swap cannot capture them.

    ``via`` applies it to content that belongs to the model through a nullable foreign key of
    the query's model (``Visible(Report, viewer, via="report")`` on indicators): the query
    joins the key's table (LEFT OUTER, reusing a join already there) and the condition is put
    on that join's alias; a row without the key matches nothing on that side.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, model: type[models.Model], viewer: Viewer, alias: str | None = None,
                 via: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.viewer = viewer
        self.alias = alias
        self.via = via

    def __repr__(self) -> str:
        return (f"Visible({self.model._meta.label}, {self.viewer!r}, alias={self.alias!r}, "
                f"via={self.via!r})")

    def _on(self, alias: str) -> Visible:
        return Visible(self.model, self.viewer, alias, self.via)

    def resolve_expression(self, query: Any = None, allow_joins: bool = True,
                           reuse: Any = None, summarize: bool = False,
                           for_save: bool = False) -> Visible:
        if self.alias is not None:
            # Already part of its query; this is that query, as a sub-query, being resolved
            # against the outer one (the outer query is not this condition's concern).
            return self
        base = query.get_initial_alias()
        if self.via is None:
            if query.model is not self.model:
                raise ValueError(f"{self!r} on a query of {query.model}")
            return self._on(base)
        key = query.get_meta().get_field(self.via)
        if key.related_model is not self.model or not key.null:
            raise ValueError(f"{self!r}: {self.via} is not a nullable key to that model")
        # A nullable key's join is LEFT OUTER (``Query.join``); an existing one is reused.
        joined = query.setup_joins([self.via], query.get_meta(), base)
        return self._on(joined.joins[-1])

    def relabeled_clone(self, change_map: Mapping[str, str]) -> Visible:
        alias = self.alias or ""
        return self._on(change_map.get(alias, alias))

    def get_group_by_cols(self) -> list[Any]:
        return []

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        sql, params = _compiled_condition(self.model, self.viewer, connection.alias)
        table = self.model._meta.db_table
        if self.alias != table:
            sql = sql.replace(f"{connection.ops.quote_name(table)}.",
                              f"{compiler.quote_name_unless_alias(self.alias)}.")
        return f"({sql})", params


class SharedQuerySet(models.QuerySet[_M]):
    def visible_to(self, user: Any) -> SharedQuerySet[_M]:
        """Only what ``user`` may see (``Report.objects.visible_to(request.user)``)."""
        return self.filter(Visible(self.model, viewer_for(user)))


def can_view(user: Any, obj: Any) -> bool:
    """The policy as a predicate on one object; says exactly what ``visible_to`` says."""
    viewer = viewer_for(user)
    if viewer.user_id is not None and obj.author_id == viewer.user_id:
        return True
    if obj.status not in SHARED_STATUSES:
        return False
    audience = obj.audience
    if audience == Audience.PUBLIC:
        return True
    if not viewer.reads_content:
        return False
    if audience == Audience.PARTICIPANTS:
        return viewer.is_participant
    if audience == Audience.PARTNERS:
        return viewer.is_participant or viewer.is_partner
    if audience == Audience.ORGANISATION:
        return obj.organisation_id in viewer.organisation_ids
    if audience == Audience.ORGANISATIONS:
        if obj.organisation_id in viewer.organisation_ids:
            return True
        named = {o.pk for o in obj.audience_organisations.all()}
        return bool(named & viewer.organisation_ids)
    if audience == Audience.PEOPLE:
        return any(p.pk == viewer.user_id for p in obj.audience_people.all())
    return False


def sees_source(viewer: Viewer, obj: Any) -> bool:
    """Anonymous sharing: only coordinators and the source's own organisation see who.

    The one rule for every field that can name the source of shared content (or of what
    belongs to it: its indicators, replies, sightings of its values, its audit rows): the
    organisation's id, uuid, name and address, the author, STIX ``created_by_ref``, MISP
    ``Org``/``Orgc``/``org_id``/``orgc_id``. A face that may not show the source shows the
    neutral one instead (``ANONYMOUS_SOURCE_NAME``), on every format.
    """
    if not obj.anonymous:
        return True
    return (
        viewer.is_coordinator
        or (viewer.user_id is not None and obj.author_id == viewer.user_id)
        or obj.organisation_id in viewer.organisation_ids
    )


def can_see_source(user: Any, obj: Any) -> bool:
    """``sees_source`` for a user (or AnonymousUser, or None)."""
    return sees_source(viewer_for(user), obj)


def sees_named_people(viewer: Viewer, obj: Any) -> bool:
    """Whether the viewer may know whom else content names (its audience of named people):
    the people an anonymous report names tell its source (colleagues of the same region), so
    only those who may know the source see them; the others see themselves and a count."""
    return sees_source(viewer, obj)


def sees_sighting_source(viewer: Viewer, sighting: Any) -> bool:
    """A sighting names its organisation only when it chose to be named, and always to
    coordinators and to its own organisation."""
    return (sighting.named or viewer.is_coordinator
            or sighting.organisation_id in viewer.organisation_ids)


def hidden_audit_rows_q(viewer: Viewer) -> Q | None:
    """Audit rows whose actor names the source of anonymous content the viewer may not know:
    rows written about anonymous content (marked when written), and rows about a report, or
    a part of one (``details.report``), that is anonymous now; except the viewer's own
    organisation's rows. ``None``: coordinators know every source."""
    if viewer.is_coordinator:
        return None
    from django.db.models import CharField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast
    from django.db.models.lookups import In

    from vrisac.reports.models import Report

    # Ids as text: the audit row keeps its object's id as text, and ``details`` is JSON.
    anonymous = (Report.objects.filter(anonymous=True)
                 .annotate(key=Cast("pk", CharField())).values("key"))
    hidden = (Q(details__anonymous=True)
              | Q(object_type="reports.report", object_id__in=anonymous)
              | Q(In(KT("details__report"), anonymous)))
    if viewer.organisation_ids:
        hidden &= ~Q(organisation_id__in=viewer.organisation_ids)
    return hidden


def source_visible_q(viewer: Viewer) -> Q:
    """The filter form of ``can_see_source``: rows whose source the viewer may know."""
    if viewer.is_coordinator:
        return Q()
    condition = Q(anonymous=False)
    if viewer.user_id is not None:
        condition |= Q(author_id=viewer.user_id)
    if viewer.organisation_ids:
        condition |= Q(organisation_id__in=viewer.organisation_ids)
    return condition


def can_edit(user: Any, obj: Any) -> bool:
    """The author, or a colleague of the sharing organisation who may see it."""
    viewer = viewer_for(user)
    if not viewer.reads_content:
        return False
    if obj.author_id == viewer.user_id:
        return True
    return obj.organisation_id in viewer.organisation_ids and can_view(user, obj)


def can_moderate(user: Any, obj: Any) -> bool:
    """Coordinators may retract what they can see; editors may too."""
    return can_edit(user, obj) or (viewer_for(user).is_coordinator and can_view(user, obj))


def users_with_access(obj: Any) -> models.QuerySet[User]:
    """The people who may see ``obj``: the policy turned around, for notifications."""
    from vrisac.accounts.models import User
    from vrisac.organisations.models import Membership

    author = Q(pk=obj.author_id)
    if obj.status not in SHARED_STATUSES:
        return User.objects.filter(author, is_active=True)
    current = Membership.objects.current()

    def members(**filters: Any) -> Q:
        return Q(pk__in=current.filter(**filters).values("user_id"))

    audience = obj.audience
    content_roles = {"role__in": CONTENT_ROLES}
    if audience == Audience.PUBLIC:
        who = members()
    elif audience == Audience.PARTNERS:
        who = members(**content_roles)
    elif audience == Audience.PARTICIPANTS:
        who = members(role__in=PARTICIPANT_ROLES)
    elif audience == Audience.ORGANISATION:
        who = members(organisation_id=obj.organisation_id, **content_roles)
    elif audience == Audience.ORGANISATIONS:
        orgs = {obj.organisation_id} | {o.pk for o in obj.audience_organisations.all()}
        who = members(organisation_id__in=orgs, **content_roles)
    elif audience == Audience.PEOPLE:
        people = [p.pk for p in obj.audience_people.all()]
        who = Q(pk__in=people) & members(**content_roles)
    else:
        who = Q(pk__in=[])
    return User.objects.filter(author | who, is_active=True).distinct()


# ---------------------------------------------------------------------------------------------
# Organisation-owned data (an inventory, the warnings matched against it) and external
# advisories. The same rules as above: one place, a filter and a predicate saying the same.
#
# * Organisation-owned rows are seen, in full, by the participants and coordinators of that
#   organisation only. Coordinators see other organisations' data as aggregates (counts,
#   common products), never rows; the owner observer sees aggregates only.
# * External advisories carry the TLP their publisher gave them. TLP:CLEAR and TLP:GREEN are
#   read by every content role (participants, coordinators, partners); TLP:AMBER by
#   participants and coordinators (the community the ISAC received it for). TLP:AMBER+STRICT
#   and TLP:RED advisories are not imported at all (the importer refuses them by name), so no
#   rule for them is needed here beyond "nobody".
# ---------------------------------------------------------------------------------------------

ADVISORY_LABELS_FOR_PARTNERS = ("TLP:CLEAR", "TLP:GREEN")
ADVISORY_LABELS_FOR_PARTICIPANTS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER")
#: Advisory labels the platform accepts at import; stricter ones are refused.
ADVISORY_IMPORTABLE_LABELS = ADVISORY_LABELS_FOR_PARTICIPANTS


def organisation_scoped_q(viewer: Viewer, field: str = "organisation_id") -> Q:
    """Rows owned by one of the viewer's organisations, for participants and coordinators."""
    if not viewer.is_participant or not viewer.organisation_ids:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": viewer.organisation_ids})


def can_view_organisation_data(user: Any, organisation_id: int | None) -> bool:
    """The predicate form of ``organisation_scoped_q``."""
    viewer = viewer_for(user)
    return viewer.is_participant and organisation_id in viewer.organisation_ids


def sees_cross_organisation_aggregates(user: Any) -> bool:
    """Counts across regions (how many regions run a product or are hit by a vulnerability):
    coordinators and the owner observer. Never rows of another organisation."""
    viewer = viewer_for(user)
    return viewer.is_coordinator or viewer.is_observer


def advisory_labels_for(viewer: Viewer) -> tuple[str, ...]:
    """The advisory TLP labels this viewer may read."""
    if viewer.is_participant:
        return ADVISORY_LABELS_FOR_PARTICIPANTS
    if viewer.is_partner:
        return ADVISORY_LABELS_FOR_PARTNERS
    return ()


def advisory_visible_q(viewer: Viewer, field: str = "tlp") -> Q:
    """External advisories the viewer may read, by their TLP label."""
    labels_ = advisory_labels_for(viewer)
    if not labels_:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": labels_})


def can_view_advisory(user: Any, advisory: Any) -> bool:
    return advisory.tlp in advisory_labels_for(viewer_for(user))


class OrganisationScopedQuerySet(models.QuerySet[_M]):
    """For models with an ``organisation`` owner: ``Model.objects.visible_to(user)``."""

    def visible_to(self, user: Any) -> OrganisationScopedQuerySet[_M]:
        return self.filter(organisation_scoped_q(viewer_for(user)))


class AdvisoryQuerySet(models.QuerySet[_M]):
    """For models with a ``tlp`` label from an external publisher."""

    def visible_to(self, user: Any) -> AdvisoryQuerySet[_M]:
        return self.filter(advisory_visible_q(viewer_for(user)))


def vulnerability_visible_q(viewer: Viewer) -> Q:
    """Vulnerabilities known from a public source (NVD, CVE 5, KEV, EPSS: TLP:CLEAR), or from
    an advisory the viewer may read. Content roles only (the observer sees aggregates)."""
    if not viewer.reads_content:
        return Q(pk__in=[])
    public = (Q(nvd_modified__isnull=False) | Q(cve5_modified__isnull=False)
              | Q(kev_added__isnull=False) | Q(epss__isnull=False))
    labels_ = advisory_labels_for(viewer)
    return public | Q(advisories__tlp__in=labels_) if labels_ else public


# ---------------------------------------------------------------------------------------------
# Aggregates across organisations: the minimum group.
#
# A figure made from the answers or the data of several organisations (the benchmark's median
# and quartiles, a share of answers, how many organisations run a product or are hit by a
# vulnerability) is shown only when it describes at least MIN_GROUP_SIZE organisations. Below
# that, a count reads "fewer than MIN_GROUP_SIZE" and a product name is not shown beside it.
# Why six and not five: docs/resilience.md ("Minimum group").
# ---------------------------------------------------------------------------------------------

#: More organisations than five: a participant that knows its own answer and changes it can
#: undo median and quartiles of five (docs/resilience.md); rounding does not stop that.
MIN_GROUP_SIZE = 6


def aggregate_allowed(organisations: int) -> bool:
    """May a figure describing this many organisations be shown?"""
    return organisations >= MIN_GROUP_SIZE


def group_count(organisations: int) -> int | None:
    """A count of organisations as it may be shown (beside a product or a vulnerability):
    itself from ``MIN_GROUP_SIZE`` on, otherwise None, shown as "fewer than six"."""
    return organisations if aggregate_allowed(organisations) else None


# ---------------------------------------------------------------------------------------------
# Writing versions of exchanged objects: who may post a version of a STIX id over TAXII (and
# push an event of a uuid over the MISP face), and whom a posted object may name as its
# creator. A STIX id belongs to the organisation that first stored it; the ids the platform
# writes itself (its reports' objects, the TLP definitions, the identities of the platform
# and of its organisations) only the platform writes. Whose an id is, the face finds out
# (vrisac/interop/taxii/owners.py); what that owner allows, these two functions decide.
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Owner:
    """Whose a STIX id (or a MISP event's uuid) is: an organisation of the platform, or none
    (a new id, a third party's identity); ``platform`` when only the platform writes it."""

    organisation_id: int | None = None
    platform: bool = False


NO_OWNER = Owner()


def may_write_version(viewer: Viewer, owner: Owner) -> bool:
    """Whether the viewer may store a version of an id of this owner: a content role, writing
    a new id or one of its own organisation's; never an id only the platform writes (a report
    changes on the platform, and its versions reach the collections from there)."""
    if not viewer.reads_content or owner.platform:
        return False
    return owner.organisation_id is None or owner.organisation_id in viewer.organisation_ids


def may_claim_source(viewer: Viewer, identity: Owner) -> bool:
    """Whether an object the viewer writes may name this identity as its creator
    (``created_by_ref``, an identity's name): its own organisation, or a third party the
    platform does not know; never another organisation, nor the platform's own voice (the
    source of anonymous reports)."""
    if not viewer.reads_content:
        return False
    if identity.organisation_id is not None:
        return identity.organisation_id in viewer.organisation_ids
    return not identity.platform
