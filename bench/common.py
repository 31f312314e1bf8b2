"""Helpers shared by the benchmarks: a Django set-up on a database of their own, timing and
peak memory."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str | None = None) -> None:
    """Use ``database_url`` (default: a SQLite file in var/bench/) and migrate it."""
    if database_url is None:
        path = ROOT / "var" / "bench" / "bench.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fresh_database(url: str | None, *, sqlite_name: str, prefix: str) -> str:
    """An empty database: the SQLite file var/bench/``sqlite_name`` removed, or the
    PostgreSQL database in ``url`` dropped and created again (its name must start with
    ``prefix``, so that no other database is dropped by mistake)."""
    if url is None:
        path = ROOT / "var" / "bench" / sqlite_name
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.remove(f"{path}{suffix}")
        return f"sqlite:///{path}"
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith(prefix):
        raise SystemExit(f"give the benchmark a database of its own ({prefix}_bench)")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                stack += [int(c) for c in (task / "children").read_text().split()]
    return found


def vrisac(env: dict[str, str], *args: str) -> str:
    """``vrisac ARGS`` in a process of its own with ``env``; its output, or exit saying why."""
    done = subprocess.run([sys.executable, "-m", "config.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"vrisac {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop a server started in a session of its own, with every process it started."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


@contextmanager
def served(env: dict[str, str], *options: str, log: Path) -> Iterator[tuple[int, str]]:
    """``vrisac serve OPTIONS`` on a free port of the loopback, until it answers /healthz:
    (the pid of its session leader, its base URL); stopped afterwards."""
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "config.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), *options],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.3)
            else:
                raise SystemExit(f"vrisac serve did not come up; see {log}")
            yield server.pid, base
        finally:
            stop_server(server)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed(label: str, results: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    results[label] = time.perf_counter() - started


def median_ms(func: Callable[[], Any], repeat: int = 200) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def organisation_id_of(user: Any) -> int:
    """The organisation a benchmark's author writes for (every made-up author has one)."""
    from vrisac.sharing.policy import viewer_for

    organisation_id = viewer_for(user).organisation_id
    assert organisation_id is not None, f"{user} has no organisation"
    return organisation_id
