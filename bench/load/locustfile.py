"""Simulated VR-ISAC members for locust (run by ``python -m bench load``).

Each simulated person takes the session of one of the people who logged in (password and
TOTP) and an API token, and browses, searches and uses the API as their role allows, waiting
one to three seconds between actions. Requests are named by page or API call, so that the
statistics come per page.

``FastHttpUser`` (geventhttpclient) rather than ``HttpUser`` (requests): locust runs on the same
machine as the server, and the lighter client leaves more of it to the platform."""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

_DATA = json.loads(open(os.environ["VRISAC_LOAD_PEOPLE"], encoding="utf-8").read())  # noqa: SIM115
PEOPLE: list[dict[str, Any]] = _DATA["people"]
#: Per role, reports that role may open (partners see fewer).
REPORTS: dict[str, list[int]] = _DATA["reports"]
SEARCHES = ["198.51.100.7", "phishing", "ransomware", "10.0.0.0/8", "evil.example.com",
            "CVE-2024-3400", "44d88612fea8a8f36de82e1278abb02f", "gemeente"]
#: How the simulated people are spread over the roles (participants are most of them).
ROLE_WEIGHT = {"participant": 8, "coordinator": 2, "partner": 1, "observer": 1, "admin": 0}
_counter = iter(range(10**9))


def _pick_person() -> dict[str, Any]:
    weighted = [p for p in PEOPLE for _ in range(ROLE_WEIGHT.get(p["role"], 1))]
    return weighted[next(_counter) % len(weighted)]


class Member(FastHttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.person = _pick_person()
        self.cookie = {"Cookie": f"sessionid={self.person['session']}"}
        self.api = {"Authorization": f"Bearer {self.person['token']}"}
        self.reads = self.person["role"] in ("participant", "coordinator", "partner")

    def _get(self, path: str, name: str, headers: dict[str, str]) -> None:
        """One request; anything but 200 (a redirect to the login page too) is a failure."""
        with self.client.get(path, name=name, allow_redirects=False, headers=headers,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    def page(self, path: str, name: str) -> None:
        self._get(path, name, self.cookie)

    def call(self, path: str, name: str) -> None:
        if not self.person["token"]:
            self.page("/dashboard/", "page /dashboard/")
        else:
            self._get(path, name, self.api)

    @task(4)
    def dashboard(self) -> None:
        self.page("/dashboard/", "page /dashboard/")

    @task(4)
    def reports(self) -> None:
        if self.reads:
            self.page("/reports/", "page /reports/")
            self.page(f"/reports/{random.choice(REPORTS[self.person['role']])}/",
                      "page /reports/<id>/")
        else:
            self.page("/resilience/strategic/", "page /resilience/strategic/")

    @task(3)
    def search(self) -> None:
        if self.reads:
            self.page(f"/intel/search/?q={random.choice(SEARCHES)}", "page /intel/search/")

    @task(2)
    def intel(self) -> None:
        if self.reads:
            self.page("/intel/", "page /intel/")

    @task(2)
    def warnings(self) -> None:
        if self.person["role"] == "participant":
            self.page("/warnings/", "page /warnings/")
        elif self.reads:
            self.page("/advisories/", "page /advisories/")

    @task(1)
    def knowledge(self) -> None:
        if self.reads:
            self.page("/knowledge/", "page /knowledge/")

    @task(3)
    def api_reports(self) -> None:
        self.call("/api/v1/reports?limit=20", "API GET /api/v1/reports")

    @task(2)
    def api_search(self) -> None:
        self.call(f"/api/v1/search?q={random.choice(SEARCHES)}", "API GET /api/v1/search")

    @task(2)
    def api_indicators(self) -> None:
        self.call("/api/v1/indicators?limit=50", "API GET /api/v1/indicators")
