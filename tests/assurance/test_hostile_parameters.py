"""Every parameter of the machine faces, range-checked: a value too large, too small, out of
the calendar, not a number or not text answers the face's own 400 (or is simply read), never a
server error and never an HTML page (issue: confidentiality holes, item 13: ``{"last":
"999999w"}`` on ``/misp/attributes/restSearch`` answered an HTML 500).

The parameters are not listed by hand: the MISP searches take every filter the parser knows,
TAXII every query parameter its specification names, and the REST API every parameter its
OpenAPI document declares.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from vrisac.accounts.services import token_create
from vrisac.core.testing import make_person, make_report
from vrisac.interop.misp.search import IGNORED, SUPPORTED

#: Values that break a parser, a calendar or a database integer.
HOSTILE: tuple[Any, ...] = (
    "999999w", "999999d", "99999999999999999999999", "-99999999999999999999999",
    "9223372036854775808", "-1", "0", "1e309", "-1e309", "nan", "inf", "1e20",
    "9999-12-31", "10000-01-01", "0000-00-00", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z", "99999-01-01T00:00:00Z", "2026-13-45", "2026-02-30",
    "\x00", "%", "٣", "x" * 5000, 99999999999999999999999, -1, 1e308, True, None,
    [], ["99999999999999999999999", "999999w"], {"AND": ["x"], "OR": 1},
)


def _describe(value: Any) -> str:
    return repr(value)[:60]


@pytest.fixture
def tokens(db: Any) -> dict[str, str]:
    person = make_person("participant", "utrecht")
    make_report(person, title="Something to find", tlp="TLP:GREEN", audience="partners",
                indicators=[{"type": "ipv4", "value": "45.83.12.7"}])
    return {"raw": token_create(user=person, scopes=None)[1]}


def _client() -> Client:
    return Client(raise_request_exception=False)


class Answers:
    """The answers of one face; every one that is not clean is listed at the end."""

    def __init__(self, shape: str) -> None:
        self.shape = shape
        self.problems: list[str] = []
        self.count = 0

    def check(self, response: Any, where: str) -> None:
        self.count += 1
        problem = self._problem(response)
        if problem:
            self.problems.append(f"{where}: {problem}")

    def _problem(self, response: Any) -> str | None:
        content_type = response.get("Content-Type", "")
        if response.status_code >= 500:
            return f"HTTP {response.status_code} {response.content[:120]!r}"
        if "html" in content_type:
            return f"HTTP {response.status_code} as {content_type}"
        if response.status_code < 400:
            return None
        try:
            body = json.loads(response.content)
        except ValueError:
            return f"HTTP {response.status_code}, not JSON"
        if self.shape == "misp" and not {"name", "message", "url"} <= set(body):
            return f"not MISP's error: {body}"
        if self.shape == "taxii" and (not content_type.startswith("application/taxii+json")
                                      or body.get("http_status") != str(response.status_code)):
            return f"not a TAXII error: {content_type} {body}"
        if self.shape == "rest" and "detail" not in body:
            return f"not the API's error: {body}"
        return None

    def assert_clean(self) -> None:
        assert self.count
        assert not self.problems, f"{len(self.problems)} of {self.count}:\n" + "\n".join(
            self.problems[:40])


def test_every_misp_search_filter_is_range_checked(tokens: dict[str, str]) -> None:
    answers = Answers("misp")
    client = _client()
    for controller in ("events", "attributes"):
        for name in sorted(SUPPORTED | IGNORED):
            for value in HOSTILE:
                response = client.post(
                    f"/misp/{controller}/restSearch", data=json.dumps({name: value}),
                    content_type="application/json", HTTP_AUTHORIZATION=tokens["raw"])
                answers.check(response, f"{controller} {name}={_describe(value)}")
    answers.assert_clean()


def test_every_misp_path_and_named_parameter_is_range_checked(tokens: dict[str, str]) -> None:
    answers = Answers("misp")
    client = _client()
    key: dict[str, Any] = {"HTTP_AUTHORIZATION": tokens["raw"]}
    for ref in ("99999999999999999999999", "9223372036854775808", "0", "-1", "x" * 64):
        for path in (f"events/view/{ref}", f"users/view/{ref}", f"events/edit/{ref}",
                     f"events/publish/{ref}", f"attributes/add/{ref}", f"sightings/add/{ref}"):
            method = client.get if path.startswith(("events/view", "users")) else client.post
            response = method(f"/misp/{path}", content_type="application/json", **key)
            answers.check(response, path)
    for named in ("limit", "page"):
        for value in ("99999999999999999999999", "-1", "0", "x"):
            response = client.get(f"/misp/events/index/{named}:{value}", **key)
            answers.check(response, f"events/index/{named}:{value}")
    for value in HOSTILE:
        response = client.post("/misp/events/index", data=json.dumps({"limit": value}),
                               content_type="application/json", **key)
        answers.check(response, f"events/index limit={_describe(value)}")
    answers.assert_clean()


#: The query parameters of TAXII 2.1 (section 3.4 of the specification).
TAXII_PARAMETERS = ("added_after", "limit", "next", "match[id]", "match[type]",
                    "match[version]", "match[spec_version]")


def test_every_taxii_parameter_is_range_checked(tokens: dict[str, str]) -> None:
    answers = Answers("taxii")
    client = _client()
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {tokens['raw']}",
            "HTTP_ACCEPT": "application/taxii+json;version=2.1"}
    listing = client.get("/taxii2/api/collections/", **auth).json()["collections"]
    assert listing
    base = f"/taxii2/api/collections/{listing[0]['id']}/"
    paths = [f"{base}objects/", f"{base}manifest/",
             f"{base}objects/indicator--00000000-0000-4000-8000-000000000000/",
             f"{base}objects/indicator--00000000-0000-4000-8000-000000000000/versions/"]
    for path in paths:
        for name in TAXII_PARAMETERS:
            for value in HOSTILE:
                if not isinstance(value, str):
                    value = json.dumps(value)
                response = client.get(path, {name: value}, **auth)
                answers.check(response, f"{path} {name}={_describe(value)}")
    for object_id in ("x" * 300, "indicator--" + "9" * 40, "report--../../x"):
        response = client.get(f"{base}objects/{object_id}/", **auth)
        answers.check(response, object_id)
    answers.assert_clean()

def test_every_rest_parameter_is_range_checked(tokens: dict[str, str]) -> None:
    """Each GET operation of the OpenAPI document, each of its query and path parameters."""
    answers = Answers("rest")
    client = _client()
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {tokens['raw']}"}
    document = client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, operations in document["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        parameters = operation.get("parameters", [])
        path_names = [p["name"] for p in parameters if p["in"] == "path"]
        for parameter in parameters:
            for value in HOSTILE:
                text = value if isinstance(value, str) else json.dumps(value)
                filled = {n: (text if n == parameter["name"] else "1") for n in path_names}
                url = path.format(**{n: v.replace("/", "%2F") for n, v in filled.items()})
                query = {parameter["name"]: text} if parameter["in"] == "query" else {}
                response = client.get(url, query, **auth)
                answers.check(response, f"{url} {parameter['name']}={_describe(value)}")
                checked += 1
    assert checked > 200
    answers.assert_clean()


def test_a_nul_character_in_a_parameter_is_a_bad_request_on_every_face(
        people: dict[str, Any]) -> None:
    """No parameter holds a NUL (PostgreSQL cannot compare text with one): a page answers its
    400 page, each machine face its own 400."""
    from vrisac.core.testing import client_for

    tokens = {"raw": token_create(user=people["utrecht"], scopes=None)[1]}

    page = client_for(people["utrecht"]).get("/reports/", {"q": "a\x00b"})
    assert page.status_code == 400 and b"<html" in page.content
    api = _client().get("/api/v1/reports", {"q": "\x00"},
                        HTTP_AUTHORIZATION=f"Bearer {tokens['raw']}")
    assert api.status_code == 400 and "detail" in api.json()
    taxii = _client().get("/taxii2/api/collections/", {"limit": "\x00"},
                          HTTP_AUTHORIZATION=f"Bearer {tokens['raw']}",
                          HTTP_ACCEPT="application/taxii+json;version=2.1")
    assert taxii.status_code == 400 and taxii.json()["http_status"] == "400"
    misp = _client().get("/misp/events/index", {"page": "\x00"},
                         HTTP_AUTHORIZATION=tokens["raw"])
    assert misp.status_code == 400 and misp.json()["url"] == "/misp/events/index"
    form = client_for(people["utrecht"]).post("/reports/new/", {"title": "a\x00"})
    assert form.status_code == 400
    path = _client().get("/api/v1/advisories/vulnerabilities/CVE-2026-1%00",
                         HTTP_AUTHORIZATION=f"Bearer {tokens['raw']}")
    assert path.status_code == 400


def test_an_unknown_path_of_a_machine_face_answers_in_its_format(
        tokens: dict[str, str]) -> None:
    client = _client()
    assert client.get("/api/v1/nothing-here").json() == {"detail": "Not found."}
    taxii = client.get("/taxii2/api/collections/x/objects/a/b/c/")
    assert taxii.status_code == 404 and taxii["Content-Type"].startswith(
        "application/taxii+json")
    misp = client.get("/misp/nothing/here", HTTP_AUTHORIZATION=tokens["raw"])
    assert misp.status_code == 404 and misp.json()["url"] == "/misp/nothing/here"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and b"<html" in page.content
