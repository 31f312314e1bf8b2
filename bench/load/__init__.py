"""The load test: ``python -m bench load`` (``make assurance`` runs it).

On a fresh database in var/load/: the demo platform, then REPORTS reports and INDICATORS
indicators (bench/intel.py's generators); ``vrisac serve`` on loopback (gunicorn plus the
worker); the demo people log in for real (password, then the code of their authenticator
app) and get API tokens; a large feed is queued for the worker to import; then locust runs
headless with USERS simulated people for MINUTES minutes (bench/load/locustfile.py), each
waiting one to three seconds between actions. Printed: p50/p95/p99 per page and API call,
errors, whether the feed import finished, and which budgets (pages p95 < 500 ms, API p95 <
300 ms) were missed.

    python -m bench load [--users 200] [--minutes 5] [--reports 100000]
                         [--indicators 1000000] [--feed-lines 200000] [--database-url URL]
                         [--prepare-only | --reuse]

``--prepare-only`` builds the database and stops; ``--reuse`` runs the load against it again
(the feed's second import then finds its rows already there).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, organisation_id_of

HERE = Path(__file__).resolve().parent
WORK = ROOT / "var" / "load"
PAGE_P95_MS = 500
API_P95_MS = 300
DEMO_PASSWORD = "VR-ISAC-demo-2026!"  # the demo accounts' shared password (README)


def _environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "VRISAC_DATA_DIR": str(WORK / "data"),
            "DJANGO_SETTINGS_MODULE": "config.settings.local", "PYTHONUNBUFFERED": "1"}


def _fresh(database_url: str | None) -> str:
    if WORK.exists():
        shutil.rmtree(WORK)
    (WORK / "data" / "feeds").mkdir(parents=True)
    if database_url is None:
        return f"sqlite:///{WORK / 'load.sqlite3'}"
    from bench.common import fresh_database

    # A PostgreSQL database's name must start with vrisac_load: it is dropped and made again.
    return fresh_database(database_url, sqlite_name="load.sqlite3", prefix="vrisac_load")


def _use(database_url: str) -> None:
    """This process on ``database_url``, with the environment the server gets (migrated)."""
    for key, value in _environment(database_url).items():
        os.environ[key] = value
    from bench.common import setup_django

    setup_django(database_url)


def prepare(database_url: str, reports: int, indicators: int, feed_lines: int) -> None:
    """Demo data, the bulk of reports and indicators, and the feed file (in this process)."""
    _use(database_url)
    from django.core.management import call_command
    from django.utils import timezone

    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("demo", "--quiet")
    from bench.intel import ingest
    from vrisac.accounts.models import User
    from vrisac.reports.models import Report

    started = time.monotonic()
    authors = list(User.objects.filter(is_demo=True, email__contains="utrecht")
                   | User.objects.filter(is_demo=True, email__contains="haaglanden"))
    now = timezone.now()
    batch: list[Report] = []
    for n in range(reports):
        author = authors[n % len(authors)]
        # Nine in ten for all participants, one in twenty also for partners (NCSC-NL), one
        # in ten for the author's own organisation only.
        audience = {9: "organisation", 5: "partners"}.get(n % 10, "participants")
        if audience == "partners" and n % 20 != 5:
            audience = "participants"
        batch.append(Report(
            kind=("incident", "threat", "vulnerability", "advice")[n % 4],
            title=f"Waarneming {n}: phishing op gemeentelijke mailboxen",
            summary="Verdachte inlogpogingen vanaf bekende infrastructuur.",
            body="Zie indicatoren.", body_html="<p>Zie indicatoren.</p>",
            tlp="TLP:AMBER+STRICT" if audience == "organisation" else (
                "TLP:AMBER", "TLP:GREEN")[n % 2],
            audience=audience, status="published",
            published_at=now - timedelta(minutes=n), author=author,
            organisation_id=organisation_id_of(author)))
        if len(batch) == 5000:
            Report.objects.bulk_create(batch)
            batch = []
    Report.objects.bulk_create(batch)
    print(f"  {reports:,} reports in {time.monotonic() - started:.0f} s", flush=True)
    ids = list(Report.objects.filter(title__startswith="Waarneming", author=authors[0])
               .order_by("id")
               .values_list("id", flat=True)[:max(1, indicators // 100)])
    started = time.monotonic()
    ingest(authors[0], ids, indicators)
    print(f"  {indicators:,} indicators in {time.monotonic() - started:.0f} s", flush=True)
    # What the hourly ops.db_statistics job would have done by now on a platform this size.
    from vrisac.ops.services import database_statistics_refresh

    print(f"  planner statistics in {database_statistics_refresh():.1f} s", flush=True)
    feed = WORK / "data" / "feeds" / "large-feed.txt"
    with feed.open("w") as out:
        out.write("# a large blocklist, imported by the worker during the load\n")
        for n in range(feed_lines):
            out.write(f"198.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}\n")


def log_in(base: str) -> list[dict[str, Any]]:
    """Each demo person logs in over HTTP (password, then TOTP); their session cookie and an
    API token are what the simulated people use."""
    import requests
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )
    from allauth.mfa.utils import decrypt

    from vrisac.accounts.models import User
    from vrisac.accounts.services import token_create
    from vrisac.sharing.policy import viewer_for

    people = []
    for user in User.objects.filter(is_demo=True).order_by("email"):
        session = requests.Session()
        page = session.get(f"{base}/accounts/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        answer = session.post(f"{base}/accounts/login/", timeout=30, data={
            "csrfmiddlewaretoken": token.group(1), "login": user.email,
            "password": DEMO_PASSWORD}, headers={"Referer": f"{base}/accounts/login/"})
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text)
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        secret = decrypt(authenticator.data["secret"])
        counters = list(yield_hotp_counters_from_time())
        code = format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
        done = session.post(answer.url, timeout=30, data={
            "csrfmiddlewaretoken": token.group(1) if token else "", "code": code},
            headers={"Referer": answer.url})
        if "sessionid" not in session.cookies or "/accounts/" in done.url:
            print(f"  login failed for {user.email} ({done.status_code} {done.url})")
            continue
        roles = viewer_for(user).roles
        role = next((r for r in ("coordinator", "partner", "participant", "observer", "admin")
                     if r in roles), "participant")
        _token, raw = token_create(user=user, scopes=None) if role in (
            "coordinator", "partner", "participant") else (None, "")
        people.append({"email": user.email, "role": role, "token": raw,
                       "session": session.cookies["sessionid"]})
    return people


def one_at_a_time(base: str, people: list[dict[str, Any]], sample: dict[str, list[int]],
                  repeat: int = 20) -> list[tuple[str, float]]:
    """Each page and API call of the load, as a participant, one request at a time: the
    median time, which is the server's work per request (the load's cost per request)."""
    import statistics

    import requests

    person = next(p for p in people if p["role"] == "participant")
    calls = [("page /dashboard/", "/dashboard/"), ("page /reports/", "/reports/"),
             ("page /reports/<id>/", f"/reports/{sample['participant'][0]}/"),
             ("page /intel/", "/intel/"), ("page /intel/search/", "/intel/search/?q=phishing"),
             ("page /warnings/", "/warnings/"), ("page /knowledge/", "/knowledge/"),
             ("API GET /api/v1/reports", "/api/v1/reports?limit=20"),
             ("API GET /api/v1/search", "/api/v1/search?q=phishing"),
             ("API GET /api/v1/indicators", "/api/v1/indicators?limit=50")]
    session = requests.Session()
    found = []
    for name, path in calls:
        headers = ({"Authorization": f"Bearer {person['token']}"} if name.startswith("API ")
                   else {"Cookie": f"sessionid={person['session']}"})
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            answer = session.get(base + path, headers=headers, allow_redirects=False, timeout=60)
            times.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: HTTP {answer.status_code} one at a time")
        found.append((name, statistics.median(times)))
    return found


def percentiles(stats: Path) -> list[dict[str, Any]]:
    rows = []
    with stats.open() as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                continue
            rows.append({"name": row["Name"], "requests": int(row["Request Count"]),
                         "failures": int(row["Failure Count"]), "p50": float(row["50%"]),
                         "p95": float(row["95%"]), "p99": float(row["99%"])})
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench load")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--feed-lines", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=3, help="web processes of vrisac serve")
    parser.add_argument("--threads", type=int, default=2, help="threads per web process")
    parser.add_argument("--prepare-only", action="store_true",
                        help="build the database in var/load/ and stop")
    parser.add_argument("--reuse", action="store_true",
                        help="run against the database an earlier --prepare-only built")
    args = parser.parse_args(argv)

    if args.reuse:
        database_url = (WORK / "database-url").read_text().strip()
        _use(database_url)
    else:
        database_url = _fresh(args.database_url)
        print(f"== load: {database_url}", flush=True)
        prepare(database_url, args.reports, args.indicators, args.feed_lines)
        (WORK / "database-url").write_text(database_url)
        if args.prepare_only:
            return
    env = _environment(database_url)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([str(Path(sys.executable).parent / "vrisac"), "serve", "--host",
                               "127.0.0.1", "--port", str(args.port), "--workers",
                               str(args.workers), "--threads", str(args.threads)],
                              env=env, cwd=ROOT,
                              stdout=(WORK / "serve.log").open("wb"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_up(base)
        people = log_in(base)
        print(f"  {len(people)} people logged in with password and TOTP", flush=True)
        sample = _report_sample()
        (WORK / "people.json").write_text(json.dumps({"people": people, "reports": sample}))
        print("  one request at a time (median of 20, before the load):", flush=True)
        for name, millis in one_at_a_time(base, people, sample):
            print(f"    {name:<34} {millis:7.1f} ms", flush=True)
        feed_job = _queue_feed()
        started = time.monotonic()
        run = subprocess.run(
            [str(Path(sys.executable).parent / "locust"), "-f", str(HERE / "locustfile.py"),
             "--headless", "-u", str(args.users), "-r", str(max(1, args.users // 20)),
             "-t", f"{int(args.minutes * 60)}s", "--host", base, "--csv", str(WORK / "locust"),
             "--only-summary", "--stop-timeout", "10"],
            env={**env, "VRISAC_LOAD_PEOPLE": str(WORK / "people.json")}, cwd=ROOT,
            capture_output=True, text=True, check=False)
        (WORK / "locust.log").write_text(run.stdout + run.stderr)
        print(f"  locust ran {time.monotonic() - started:.0f} s (exit {run.returncode})")
        feed_state = _feed_state(feed_job)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    report(percentiles(WORK / "locust_stats.csv"), feed_state)


def report(rows: list[dict[str, Any]], feed_state: str) -> None:
    print(f"\n{'request':<34} {'count':>7} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7}  budget")
    missed = []
    for row in sorted(rows, key=lambda r: r["name"]):
        budget = API_P95_MS if row["name"].startswith("API ") else PAGE_P95_MS
        ok = row["p95"] < budget
        if not ok:
            missed.append(row["name"])
        print(f"{row['name']:<34} {row['requests']:>7} {row['failures']:>6} {row['p50']:>7.0f} "
              f"{row['p95']:>7.0f} {row['p99']:>7.0f}  {'ok' if ok else 'MISSED'} (<{budget})")
    errors = sum(r["failures"] for r in rows)
    print(f"\nrequests {sum(r['requests'] for r in rows):,}, errors {errors}; feed import "
          f"during the load: {feed_state}; budgets missed: {', '.join(missed) or 'none'}")


def _wait_up(base: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("vrisac serve did not come up; see var/load/serve.log")


def _report_sample() -> dict[str, list[int]]:
    """Reports each role may open: participants and coordinators any shared with all
    participants, partners those shared with partners too."""
    from vrisac.reports.models import Report

    def newest(audience: str) -> list[int]:
        return list(Report.objects.filter(audience=audience, status="published")
                    .order_by("-id").values_list("id", flat=True)[:2000])

    participants = newest("participants")
    return {"participant": participants, "coordinator": participants,
            "partner": newest("partners")}


def _queue_feed() -> int:
    from vrisac.accounts.models import User
    from vrisac.intel.feeds import feed_dir, feed_fetch_queue, feed_save
    from vrisac.intel.models import Feed

    coordinator = User.objects.get(email="sanne.devries@nipv.vrisac.example")
    # A run with --reuse imports the same file again: the feed is cleared of its last result
    # so that this run waits for its own import.
    Feed.objects.filter(name="large-feed").update(last_status="", etag="", content_sha256="")
    feed = Feed.objects.filter(name="large-feed").first() or feed_save(
        acting_user=coordinator, name="large-feed", title="Large blocklist",
        path=str(feed_dir() / "large-feed.txt"), format="text", default_type="ipv4",
        enabled=False)
    feed_fetch_queue(feed=feed, acting_user=coordinator)
    return feed.pk


def _feed_state(feed_id: int) -> str:
    from vrisac.intel.models import Feed

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        feed = Feed.objects.get(pk=feed_id)
        if feed.last_status:
            return f"{feed.last_status}, {feed.last_count:,} rows, {feed.last_added:,} new"
        time.sleep(2)
    return "NOT FINISHED ten minutes after the load"
