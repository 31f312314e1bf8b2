"""Remote TAXII collections: configured by ISAC coordinators, pulled by the task worker on
the schedule (``taxii_client.pull_due``), from the page ("pull now") or the command line
(``vrisac taxii_pull NAME``).

A pull asks for what was added after the collection's watermark, follows ``next`` through
every page and checks each page before keeping it (see ``client.py``); the objects are kept in
a temporary file, so a bad answer on any page fails the pull before anything is imported.
Then the objects go through the STIX importer, which creates or updates reports and
indicators by STIX id and ``modified`` and keeps what the platform does not model. Only then
does the watermark move on to the server's X-TAXII-Date-Added-Last: a second pull imports
nothing new, and a failed pull is retried from the same place.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

import orjson
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from vrisac.core.audit import audit_record
from vrisac.core.errors import DomainError, NotAllowed
from vrisac.organisations.models import Organisation
from vrisac.sharing.models import Audience
from vrisac.sharing.policy import viewer_for
from vrisac.sharing.rules import validate_sharing

from . import client, secrets
from .importing import import_objects
from .models import RemoteCollection

#: The most objects one pull takes; the rest comes with the next pull (the watermark).
MAX_OBJECTS_PER_PULL = 2_000_000
MAX_ERRORS_SHOWN = 20
AUDIENCES = (Audience.PARTICIPANTS, Audience.PARTNERS, Audience.ORGANISATION, Audience.PUBLIC)


@dataclass
class PullResult:
    status: str
    fetched: int = 0
    pages: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmodelled: int = 0
    indicators: int = 0
    added_after: str = ""
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "fetched": self.fetched, "pages": self.pages,
                "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "unmodelled": self.unmodelled,
                "indicators": self.indicators, "added_after": self.added_after,
                "errors": self.errors}


def _coordinator(acting_user: Any) -> None:
    if not viewer_for(acting_user).is_coordinator:
        raise NotAllowed(_("Only ISAC coordinators manage remote TAXII collections."))


# --- configuration --------------------------------------------------------------------------

@transaction.atomic
def remote_save(*, acting_user: Any, remote: RemoteCollection | None = None, name: str,
                title: str, url: str, collection_id: str = "", auth: str = "none",
                username: str = "", secret: str = "", import_as: Any,
                tlp: str = "TLP:GREEN", audience: str = Audience.PARTICIPANTS,
                interval_minutes: int = 60, enabled: bool = True) -> RemoteCollection:
    """Create or change a remote collection. An empty ``secret`` keeps the stored one."""
    _coordinator(acting_user)
    name = (name or "").strip().lower()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name):
        raise DomainError(_("A name uses letters, digits, - and _."), field="name")
    others = RemoteCollection.objects.filter(name=name)
    if remote is not None:
        others = others.exclude(pk=remote.pk)
    if others.exists():
        raise DomainError(_("There is already a remote collection called %(n)s.") % {"n": name},
                          field="name")
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        raise DomainError(_("The URL starts with http:// or https://."), field="url")
    collection_id = (collection_id or "").strip()
    if auth not in RemoteCollection.Auth.values:
        raise DomainError(_("Unknown kind of authentication."), field="auth")
    if auth == RemoteCollection.Auth.BASIC and not (username or "").strip():
        raise DomainError(_("Give the user name."), field="username")
    keeps_secret = remote is not None and remote.auth == auth and not secret
    if auth != RemoteCollection.Auth.NONE and not secret and not keeps_secret:
        raise DomainError(_("Give the password or token."), field="secret")
    if not 5 <= int(interval_minutes) <= 10_080:
        raise DomainError(_("Pull between every 5 minutes and once a week."),
                          field="interval_minutes")
    if audience not in AUDIENCES:
        raise DomainError(_("Imported content is shared with the participants, the partners, "
                            "everyone or the importing organisation."), field="audience")
    validate_sharing(tlp=tlp, audience=audience, organisations=[], people=[])
    source = viewer_for(import_as)
    if not source.reads_content or source.organisation_id is None:
        raise DomainError(_("Reports are imported in the name of a participant, coordinator "
                            "or partner with a current membership."), field="import_as")
    organisation = Organisation.objects.get(pk=source.organisation_id)
    creating = remote is None
    if remote is None:
        remote = RemoteCollection(created_by=acting_user)
    moved = not creating and (remote.url, remote.collection_id) != (url, collection_id)
    remote.name, remote.title = name, (title or name).strip()[:200]
    remote.url, remote.collection_id, remote.auth = url, collection_id, auth
    remote.username = username.strip() if auth == RemoteCollection.Auth.BASIC else ""
    if auth == RemoteCollection.Auth.NONE:
        remote.secret = ""
    elif secret:
        remote.secret = secrets.seal(secret)
    remote.import_as, remote.organisation = import_as, organisation
    remote.tlp, remote.audience = tlp, audience
    remote.interval_minutes, remote.enabled = int(interval_minutes), enabled
    if moved:
        # Another server or collection: its watermark means nothing there.
        remote.objects_url = remote.added_after = ""
    remote.save()
    audit_record(action="taxii_client.remote.create" if creating else "taxii_client.remote.edit",
                 actor=acting_user, obj=remote,
                 details={"name": name, "url": url, "collection_id": collection_id,
                          "auth": auth, "credentials_changed": bool(secret),
                          "import_as": import_as.pk, "organisation": organisation.pk,
                          "tlp": tlp, "audience": audience,
                          "enabled": enabled})
    return remote


@transaction.atomic
def remote_set_enabled(*, acting_user: Any, remote: RemoteCollection,
                       enabled: bool) -> RemoteCollection:
    _coordinator(acting_user)
    remote.enabled = enabled
    remote.save(update_fields=["enabled", "updated_at"])
    audit_record(action="taxii_client.remote.enable" if enabled
                 else "taxii_client.remote.disable", actor=acting_user, obj=remote,
                 details={"name": remote.name})
    return remote


def remote_pull_queue(*, remote: RemoteCollection, acting_user: Any) -> Any:
    from vrisac.core.jobs import job_enqueue

    _coordinator(acting_user)
    return job_enqueue("taxii_client.pull", arguments={"remote": remote.pk},
                       triggered_by=acting_user)


# --- pulling --------------------------------------------------------------------------------

def credentials_for(remote: RemoteCollection) -> client.Credentials:
    return client.Credentials(kind=remote.auth, username=remote.username,
                              secret=secrets.unseal(remote.secret))


def _later(a: str, b: str) -> str:
    """The later of two TAXII timestamps, as the server wrote it."""
    if not a or not b:
        return a or b
    parsed_a = parse_datetime(a.replace("Z", "+00:00"))
    parsed_b = parse_datetime(b.replace("Z", "+00:00"))
    if parsed_a is None or parsed_b is None:
        return b or a
    return b if parsed_b > parsed_a else a


def _spooled(spool: IO[bytes]) -> Iterator[dict[str, Any]]:
    spool.seek(0)
    for line in spool:
        yield orjson.loads(line)


def remote_pull(*, remote: RemoteCollection, acting_user: Any = None,
                progress: Callable[[int], None] | None = None) -> PullResult:
    """Pull and import what the collection added since the last pull. The outcome is
    written on the collection and in the audit log either way; a failed pull raises
    ``DomainError`` after that, having imported nothing."""
    now = timezone.now()
    result = PullResult(status=RemoteCollection.PullStatus.OK, added_after=remote.added_after)
    objects_url = remote.objects_url
    try:
        credentials = credentials_for(remote)
        if not objects_url:
            objects_url = client.objects_url(remote.url, remote.collection_id, credentials)
        with tempfile.TemporaryFile() as spool:
            for page in client.pages(objects_url, credentials=credentials,
                                     added_after=remote.added_after):
                result.pages += 1
                for obj in page.objects:
                    spool.write(orjson.dumps(obj) + b"\n")
                result.fetched += len(page.objects)
                result.added_after = _later(result.added_after, page.added_last)
                if result.fetched > MAX_OBJECTS_PER_PULL:
                    raise DomainError(_("%(u)s: more than %(n)d objects in one pull.")
                                      % {"u": objects_url, "n": MAX_OBJECTS_PER_PULL})
                if progress is not None:
                    progress(len(page.objects))
            if result.fetched == 0:
                result.status = RemoteCollection.PullStatus.UNCHANGED
            else:
                counts = import_objects(objects=_spooled(spool), remote=remote,
                                        acting_user=acting_user,
                                        label=f"{remote.name} ({objects_url})")
                result.created, result.updated = counts.created, counts.updated
                result.unchanged, result.unmodelled = counts.unchanged, counts.unmodelled
                result.indicators = counts.indicators_added
                result.errors = counts.notes[:MAX_ERRORS_SHOWN]
    except DomainError as exc:
        failed = PullResult(status=RemoteCollection.PullStatus.FAILED, fetched=result.fetched,
                            pages=result.pages, added_after=remote.added_after,
                            errors=[exc.message])
        _record(remote, acting_user, failed, now, remote.objects_url)
        raise
    _record(remote, acting_user, result, now, objects_url)
    return result


@transaction.atomic
def _record(remote: RemoteCollection, acting_user: Any, result: PullResult, now: datetime,
            objects_url: str) -> None:
    remote.last_pulled_at = now
    remote.last_status = result.status
    remote.last_message = "\n".join(result.errors)[:5000]
    remote.last_count = result.fetched
    remote.last_created, remote.last_updated = result.created, result.updated
    remote.last_unmodelled, remote.last_indicators = result.unmodelled, result.indicators
    remote.added_after = result.added_after
    remote.objects_url = objects_url
    RemoteCollection.objects.filter(pk=remote.pk).update(
        last_pulled_at=now, last_status=result.status, last_message=remote.last_message,
        last_count=result.fetched, last_created=result.created, last_updated=result.updated,
        last_unmodelled=result.unmodelled, last_indicators=result.indicators,
        added_after=result.added_after,
        objects_url=objects_url)
    audit_record(action="taxii_client.remote.pull", actor=acting_user, obj=remote,
                 actor_label="" if acting_user else "scheduler",
                 result="success" if result.status != "failed" else "failure",
                 details={"status": result.status, "fetched": result.fetched,
                          "pages": result.pages, "created": result.created,
                          "updated": result.updated, "unmodelled": result.unmodelled,
                          "indicators": result.indicators,
                          "added_after": result.added_after})


def due_remotes(now: datetime | None = None) -> list[RemoteCollection]:
    now = now or timezone.now()
    return [remote for remote in RemoteCollection.objects.filter(enabled=True).order_by("name")
            if remote.last_pulled_at is None
            or remote.last_pulled_at + timedelta(minutes=remote.interval_minutes) <= now]
