"""Fixtures for the whole suite (every app's tests and tests/)."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests have no deadline: how long an example takes depends on the machine's load,
# and speed is measured in bench/, never asserted in tests.
hypothesis_settings.register_profile("vrisac", deadline=None)
hypothesis_settings.load_profile("vrisac")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _isolated_files(settings: Any, tmp_path: Path) -> None:
    """Attachments and mail of a test go to its own temporary folder."""
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """A transactional test empties every table when it ends, the rows the data migrations
    made included (organisations, measures, warninglists, public pages, the audit chain's
    head). Each transactional test starts with them put back, whatever ran before it."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from vrisac.core.testing import restore_data_migrations

    restore_data_migrations()


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    """One person in each role, in the organisations a real deployment would have."""
    from vrisac.core.testing import make_person

    return {
        "utrecht": make_person("participant", "utrecht", name="Pieter Utrecht"),
        "utrecht2": make_person("participant", "utrecht", name="Fatima Utrecht"),
        "haaglanden": make_person("participant", "haaglanden", name="Joost Haaglanden"),
        "vnog": make_person("participant", "noord-en-oost-gelderland", name="Marieke VNOG"),
        "coordinator": make_person("coordinator", "nipv", name="Sanne Coordinator"),
        "partner": make_person("partner", "ncsc", name="Lotte NCSC"),
        "observer": make_person("observer", "veiligheidsberaad", name="Hans Observer"),
        "admin": make_person("admin", "veiligheidsberaad", name="Kees Admin"),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on loopback; the platform sends to it over SMTP."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Collect(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[Any] = []

        def handle_message(self, message: Any) -> None:
            self.messages.append(message)

    handler = Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright; skipped where it is not installed."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); "
                    "`.ci/run` installs it, `apt install chromium` does it by hand")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.base_url = live_server.url
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.js_errors = errors
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    path = Path(__file__).parent / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
