"""The REST API fuzzed from its own OpenAPI document (Schemathesis) on a live server, with
a real token: every operation, with valid and invalid input, answers without a server
error, with a status code, content type and body that the document promises.

A few examples per operation here; ``make assurance`` runs the long campaign against a real
``vrisac serve`` (bench/assurance_api.py)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err

from tests.assurance.profiles import LONG

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api_token(live_server: Any) -> str:
    """A participant's token with every scope, and something of each kind to find."""
    from vrisac.accounts.services import token_create
    from vrisac.core.testing import make_person, make_report
    from vrisac.intel.services import report_indicators_add

    person = make_person("participant", "utrecht")
    report = make_report(person, title="Phishing wave", body="from 203.0.113.7")
    report_indicators_add(report=report, acting_user=person,
                          items=[{"value": "203.0.113.7", "type": "ipv4"}])
    _token, raw = token_create(user=person, scopes=None)
    return raw


#: A request the schema allows may still break a rule of the platform that JSON Schema cannot
#: say (TLP:RED needs named people, a retracted report is not published again, a file must
#: be a text or a PDF): the API answers 400 naming the field, which the document declares.
#: Every other check runs, among them "no server error" and "invalid data is refused".
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def test_every_api_operation_keeps_its_promises(live_server: Any, api_token: str) -> None:
    """Each operation of the document in turn, a few generated requests each; the failures
    of all operations are listed together."""
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {api_token}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the document describes an operation badly: {result.err()}")
            continue
        operation = result.ok()
        operations += 1

        @settings(max_examples=60 if LONG else 3, deadline=None, derandomize=not LONG,
                  database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # every failure of every operation
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert operations > 40
    assert failures == [], "\n\n".join(failures)
