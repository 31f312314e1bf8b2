"""A new installation: ``vrisac migrate`` on an empty database, then ``vrisac serve``, and
every page answers (no ``createcachetable`` or other step in between). The server runs with
the embedded default's settings (the database cache), as a process of its own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.conf import settings

from tests.assurance.test_web_security import parameterless_routes
from vrisac.ops.tests.support import (
    free_port,
    get,
    process_env,
    processes,
    vrisac_process,
    wait_http,
)
from vrisac.ops.tests.test_backup import _vrisac

#: Answers 503 until a task worker and a scheduler report in; this server runs without them.
NOT_READY_WITHOUT_WORKER = {"/readyz"}


def _static_files(env: dict[str, str], data: Path) -> None:
    """The collected static files (pages name them through the manifest): those of this
    checkout when ``make setup`` collected them, otherwise collected here."""
    collected = Path(settings.STATIC_ROOT)
    data.mkdir(parents=True, exist_ok=True)
    if (collected / "staticfiles.json").is_file():
        (data / "static").symlink_to(collected, target_is_directory=True)
        return
    result = _vrisac(env, "collectstatic", "--noinput", "--verbosity", "0")
    assert result.returncode == 0, result.stderr


def test_after_migrate_alone_the_server_answers_every_page(tmp_path: Path) -> None:
    database = tmp_path / "new.sqlite3"
    data = tmp_path / "data"
    env = process_env(data, DATABASE_URL=f"sqlite:///{database}")
    _static_files(env, data)
    migrated = _vrisac(env, "migrate", "--noinput", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    server = vrisac_process(["serve", "--port", str(port), "--workers", "1", "--threads", "4",
                             "--no-worker"], env, log)
    answers: dict[str, int] = {}
    with processes(server):
        wait_http(f"{base}/healthz")
        for route in parameterless_routes():
            if route not in NOT_READY_WITHOUT_WORKER:
                answers[route] = get(f"{base}{route}", timeout=60)[0]
    failed = {route: status for route, status in answers.items() if status >= 500}
    assert failed == {}, log.read_text()[-3000:]
    # The public face and the sign-in page render (they read the cache on every request).
    assert answers["/"] == 200 and answers["/accounts/login/"] == 200
    assert len(answers) > 50
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "vrisac_cache" in tables
    # `make setup` still runs createcachetable: harmless on a migrated database.
    again = _vrisac(env, "createcachetable")
    assert again.returncode == 0 and "already exists" in again.stdout
