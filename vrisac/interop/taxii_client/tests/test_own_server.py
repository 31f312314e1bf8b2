"""A pull from the platform's own TAXII 2.1 server (as another VR-ISAC installation would
pull from this one): what a participant posted comes back as a report, once."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.utils import translation

from vrisac.accounts.services import token_create
from vrisac.intel.models import Indicator
from vrisac.interop.taxii.collections import collection_id
from vrisac.interop.taxii_client.client import MEDIA_TYPE, TaxiiError
from vrisac.interop.taxii_client.services import remote_pull, remote_save
from vrisac.reports.models import Report

from .conftest import indicator

pytestmark = pytest.mark.django_db(transaction=True)


def test_pull_from_the_platforms_own_taxii_server(live_server: Any, people: dict[str, Any],
                                                  settings: Any) -> None:
    settings.VRISAC_FETCH_ALLOW_PRIVATE = True
    _token, poster = token_create(user=people["utrecht"], scopes=["taxii:write"])
    participants = collection_id("participants")
    objects_url = f"{live_server.url}/taxii2/api/collections/{participants}/objects/"
    sent = [indicator(f"198.51.100.{n}") for n in range(30)]
    answer = requests.post(objects_url, json={"objects": sent}, timeout=30,
                           headers={"Authorization": f"Bearer {poster}",
                                    "Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE})
    assert answer.status_code == 202 and answer.json()["success_count"] == 30

    _token, reader = token_create(user=people["coordinator"], scopes=["taxii:read"])
    remote = remote_save(acting_user=people["coordinator"], name="own", title="Own server",
                         url=f"{live_server.url}/taxii2/", auth="token", secret=reader,
                         import_as=people["partner"])
    with translation.override("en"), pytest.raises(TaxiiError, match="several collections"):
        remote_pull(remote=remote)  # the coordinator reads three: which one?
    remote = remote_save(acting_user=people["coordinator"], remote=remote, name="own",
                         title="Own server", url=f"{live_server.url}/taxii2/",
                         collection_id=str(participants), auth="token",
                         import_as=people["partner"])
    result = remote_pull(remote=remote)
    assert (result.status, result.fetched, result.created, result.indicators) == (
        "ok", 30, 1, 30)
    report = Report.objects.get(author=people["partner"])
    assert set(Indicator.objects.filter(report=report).values_list("value__value", flat=True)
               ) == {f"198.51.100.{n}" for n in range(30)}
    # The imported report is shared with the participants, so the server may offer it in
    # that collection too: the next pull then receives it and finds it unchanged.
    again = remote_pull(remote=remote)
    assert (again.created, again.updated, again.indicators) == (0, 0, 0), again
    last = remote_pull(remote=remote)
    assert last.status == "unchanged" and last.fetched == 0
    assert Indicator.objects.filter(report=report).count() == 30
    assert Report.objects.count() == 1
