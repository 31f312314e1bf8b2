"""Jobs and helpers for the operations tests, also loaded by the worker processes the tests
start (``python -c "import vrisac.ops.tests.support; ..."``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

from vrisac.core.jobs import JobContext, job

ROOT = Path(__file__).resolve().parents[3]


@job("ops_test.record", description="append this job's id and the worker's pid to a file")
def record(ctx: JobContext, path: str, pause: float = 0.0) -> dict[str, Any]:
    time.sleep(pause)
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{ctx.job.pk} {os.getpid()}\n")
    return {"pid": os.getpid()}


@job("ops_test.slow_first", description="sleep long on the first attempt, finish on a retry")
def slow_first(ctx: JobContext, seconds: float = 120.0) -> dict[str, Any]:
    ctx.log(f"attempt {ctx.job.attempts}")
    if ctx.job.attempts <= 1:
        time.sleep(seconds)
    return {"attempt": ctx.job.attempts}


def database_url() -> str:
    """The test database as a DATABASE_URL, for processes started by a test."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def process_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a platform process on the test database (which then gets the
    database cache's table, which the suite itself does not use)."""
    from django.core.management import call_command

    if "DATABASE_URL" not in extra:
        call_command("createcachetable", "vrisac_cache", verbosity=0)
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("VRISAC_", "DJANGO_", "PROMETHEUS_")) and k != "DATABASE_URL"}
    return {**base, "DATABASE_URL": database_url(), "VRISAC_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "config.settings.local", "PYTHONUNBUFFERED": "1",
            **extra}


def vrisac_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``vrisac ARGS`` in a process of its own that knows the test jobs above."""
    code = ("import sys, django; django.setup(); import vrisac.ops.tests.support; "
            "from django.core.management import execute_from_command_line; "
            "execute_from_command_line(['vrisac', *sys.argv[1:]])")
    with open(log, "ab") as handle:
        return subprocess.Popen([sys.executable, "-c", code, *args], env=env, cwd=ROOT,
                                stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)


@contextmanager
def processes(*procs: subprocess.Popen[bytes]) -> Iterator[None]:
    try:
        yield
    finally:
        for proc in procs:
            stop(proc)


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 10
        ) -> tuple[int, str, dict[str, str]]:
    """A plain HTTP GET from outside the platform (status, body, headers)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def wait_http(url: str, timeout: float = 60) -> None:
    def up() -> bool:
        try:
            get(url, timeout=2)
        except OSError:
            return False
        return True

    wait_for(up, timeout=timeout, what=url)


def _schedule_for_tests() -> None:
    """In a process started by a test with VRISAC_TEST_EVERY_MINUTE=<file>, schedule the
    record job every minute (the schedule of the product is left as it is otherwise)."""
    path = os.environ.get("VRISAC_TEST_EVERY_MINUTE")
    if path:
        from vrisac.core.schedule import SCHEDULE, ScheduledJob

        SCHEDULE.append(ScheduledJob("ops_test.record", "* * * * *", {"path": path}))


_schedule_for_tests()
