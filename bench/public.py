"""Public pages under load: requests per second against ``vrisac serve``.

Starts the real server (gunicorn with the project's settings, no task worker) on a database
of its own in var/bench/, then drives it from this process with keep-alive HTTP clients on
loopback for a bounded time per address, side by side with two floors in the same run:
``/healthz`` (a JSON view: the cost of Django's middleware alone) and a static file served
by WhiteNoise. It also counts the database queries one page costs, in-process.

    .venv/bin/python -m bench public [--seconds 8] [--clients 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from .common import ROOT, peak_rss_mb, setup_django, stop_server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not come up")


def _load(port: int, path: str, seconds: float, clients: int,
          headers: dict[str, str] | None = None) -> dict[str, float]:
    stop = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[dict[int, int]] = [{} for _ in range(clients)]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            response.read()
            latencies[index].append((time.perf_counter() - started) * 1000)
            statuses[index][response.status] = statuses[index].get(response.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    flat = sorted(x for part in latencies for x in part)
    merged: dict[int, int] = {}
    for part in statuses:
        for status, count in part.items():
            merged[status] = merged.get(status, 0) + count
    return {
        "requests": len(flat),
        "rps": len(flat) / elapsed,
        "p50_ms": statistics.median(flat),
        "p95_ms": flat[int(len(flat) * 0.95) - 1],
        "statuses": merged,  # type: ignore[dict-item]
    }


def _queries_per_page() -> dict[str, int]:
    """Database queries one anonymous page view costs, measured in-process."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    cache.clear()
    counts = {}
    with CaptureQueriesContext(connection) as cold:
        client.get("/")
    counts["cold (after an edit)"] = len(cold.captured_queries)
    with CaptureQueriesContext(connection) as warm:
        client.get("/")
    counts["warm"] = len(warm.captured_queries)
    return counts


def _server_rss_mb(pid: int) -> float:
    """Resident memory of the server and its workers, from /proc."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        status = Path(f"/proc/{each}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench public")
    parser.add_argument("--seconds", type=float, default=8.0, help="per address")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    args = parser.parse_args(argv)

    database = ROOT / "var" / "bench" / "public.sqlite3"
    database.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{database}"
    setup_django(url)
    from django.conf import settings
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    queries = _queries_per_page()

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "VRISAC_ENV": "local",
           "DJANGO_SETTINGS_MODULE": "config.settings.local", "VRISAC_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "config.cli", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(args.workers), "--task-workers", "0"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_ready(port)
        from django.contrib.staticfiles.storage import staticfiles_storage

        css = settings.STATIC_URL + staticfiles_storage.stored_name(  # type: ignore[attr-defined]
            "vrisac/css/app.css")
        first = http.client.HTTPConnection("127.0.0.1", port)
        first.request("GET", "/")
        etag = first.getresponse().getheader("ETag") or ""
        targets = [
            ("/ (Digitale weerbaarheid)", "/", None),
            ("/en/ncsc/", "/en/ncsc/", None),
            ("/video/ (media from the cache)", "/video/", None),
            ("/ conditional GET (304)", "/", {"If-None-Match": etag}),
            ("floor: /healthz", "/healthz", None),
            ("floor: static CSS (WhiteNoise)", css, None),
        ]
        print(f"server: vrisac serve, {args.workers} gunicorn workers x 8 threads, SQLite "
              f"(DatabaseCache); load: {args.clients} keep-alive clients in this process, "
              f"{args.seconds:.0f} s per address, loopback; {os.cpu_count()} CPUs shared")
        print(f"database queries per anonymous page view: {queries}")
        print(f"{'address':<34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}  statuses")
        for label, path, headers in targets:
            _load(port, path, 1.0, args.clients, headers)  # warm up
            result = _load(port, path, args.seconds, args.clients, headers)
            print(f"{label:<34} {result['rps']:>8.0f} {result['p50_ms']:>8.1f} "
                  f"{result['p95_ms']:>8.1f}  {result['statuses']}")
        print(f"server resident memory (all processes): {_server_rss_mb(server.pid):.0f} MB; "
              f"load generator peak: {peak_rss_mb():.0f} MB")
    finally:
        stop_server(server)
