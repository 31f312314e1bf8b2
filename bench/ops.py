"""Operations: where SQLite stops serving, two workers sharing one queue, backups.

* ``writers``: N processes create reports through the service (each one transaction with its
  audit row, the way people and importers write) for a fixed time; throughput, latency and
  errors per N, on SQLite and on PostgreSQL.
* ``workers``: 300 queued jobs (each writes an audit row and appends its id to a file) drained
  by one and by two ``vrisac worker`` processes on one queue; time, jobs per second, and how
  many ran more than once (must be none).
* ``backup``: backup, check and restore into an empty database of what ``writers`` left,
  plus 200 attachments of 100 KB.
* ``scrape``: /metrics' platform figures with 10,000 job rows.

    .venv/bin/python -m bench ops [writers|workers|backup|scrape] [--engine sqlite|postgresql]
        [--pg-url postgres://postgres@127.0.0.1:5432]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import ROOT, median_ms, peak_rss_mb, setup_django

PG_DB = "vrisac_ops_bench"
JOB = "bench.ops_unit"


def _register_bench_job() -> None:
    from vrisac.core.audit import audit_record
    from vrisac.core.jobs import JobContext, job

    @job(JOB, description="benchmark unit: one audit row and one line in a file")
    def unit(ctx: JobContext, path: str) -> dict[str, Any]:
        audit_record(action="bench.unit", actor_label="bench", details={"job": ctx.job.pk})
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{ctx.job.pk} {os.getpid()}\n")
        return {}


def _database_url(engine: str, pg_url: str) -> str:
    if engine == "sqlite":
        path = ROOT / "var" / "bench" / "ops.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{PG_DB}"')
    return f"{pg_url}/{PG_DB}"


def _authors(count: int) -> list[int]:
    from vrisac.core.testing import make_person
    from vrisac.organisations.models import Membership, Organisation

    people = [m.user_id for m in Membership.objects.current().filter(role="participant")]
    regions = list(Organisation.objects.filter(kind="region").order_by("pk"))
    index = 0
    while len(people) < count and index < len(regions):
        seats = Membership.objects.current().filter(organisation=regions[index]).count()
        if seats < 2:
            people.append(make_person("participant", regions[index].slug).pk)
        else:
            index += 1
    return people[:count]


def _writer(author_id: int, seconds: float, start_at: float, out: Any) -> None:
    from django.db import connection
    from django.db.utils import OperationalError

    from vrisac.accounts.models import User
    from vrisac.reports.services import report_create

    connection.close()
    author = User.objects.get(pk=author_id)
    latencies: list[float] = []
    errors = 0
    while time.time() < start_at:
        time.sleep(0.005)
    deadline = start_at + seconds
    while time.time() < deadline:
        began = time.perf_counter()
        try:
            report_create(author=author, kind="threat", title="Concurrent write",
                          summary="s", body="IOC 198.51.100.23", tlp="TLP:AMBER",
                          audience="participants", publish=True)
        except OperationalError:
            errors += 1
            continue
        latencies.append((time.perf_counter() - began) * 1000)
    connection.close()
    out.put((latencies, errors))


def writers(engine: str, pg_url: str, levels: list[int], seconds: float) -> None:
    setup_django(_database_url(engine, pg_url))
    from django.db import connections

    authors = _authors(max(levels))
    print(f"\n## concurrent writers on {engine} ({seconds:.0f} s per level)")
    print("| writers | reports/s | p50 ms | p95 ms | max ms | errors |")
    print("|---:|---:|---:|---:|---:|---:|")
    context = multiprocessing.get_context("fork")
    for n in levels:
        connections.close_all()
        out = context.Queue()
        start_at = time.time() + 1.0
        procs = [context.Process(target=_writer, args=(authors[i % len(authors)], seconds,
                                                       start_at, out)) for i in range(n)]
        for proc in procs:
            proc.start()
        results = [out.get(timeout=seconds + 120) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
        latencies = sorted(x for lat, _e in results for x in lat)
        errors = sum(e for _l, e in results)
        if not latencies:
            print(f"| {n} | 0 | - | - | - | {errors} |")
            continue
        p95 = latencies[int(len(latencies) * 0.95) - 1] if len(latencies) > 1 else latencies[0]
        print(f"| {n} | {len(latencies) / seconds:.1f} | {statistics.median(latencies):.1f} "
              f"| {p95:.1f} | {latencies[-1]:.1f} | {errors} |", flush=True)


def _worker_process(url: str, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VRISAC_", "DJANGO_"))}
    env.update({"DATABASE_URL": url, "VRISAC_DATA_DIR": str(data_dir),
                "DJANGO_SETTINGS_MODULE": "config.settings.local"})
    code = ("import sys, django; django.setup(); import bench.ops as b; b._register_bench_job(); "
            "from django.core.management import execute_from_command_line; "
            "execute_from_command_line(['vrisac', 'worker', '--no-scheduler', "
            "'--queue-name', 'default', '--interval', '0.1'])")
    with log.open("ab") as handle:
        return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                                stdout=handle, stderr=subprocess.STDOUT)


def workers(engine: str, pg_url: str, jobs: int) -> None:
    url = _database_url(engine, pg_url)
    setup_django(url)
    _register_bench_job()
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from vrisac.core.jobs import job_enqueue
    from vrisac.core.models import Job
    from vrisac.ops.models import ProcessHeartbeat

    # Left-overs of an interrupted run would be drained too and skew the figures.
    DBTaskResult.objects.filter(status="READY", queue_name="default").delete()
    Job.objects.filter(name=JOB).delete()
    print(f"\n## workers sharing one queue on {engine} ({jobs} jobs)")
    print("| workers | drained in s | jobs/s | ran twice | jobs per worker |")
    print("|---:|---:|---:|---:|---|")
    for count in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            runs = Path(tmp) / "runs.txt"
            procs = [_worker_process(url, Path(tmp), Path(tmp) / f"w{i}.log")
                     for i in range(count)]
            try:
                deadline = time.monotonic() + 60
                while ProcessHeartbeat.objects.filter(kind="worker").count() < count:
                    if time.monotonic() > deadline:
                        raise SystemExit("workers did not start")
                    time.sleep(0.2)
                began = time.perf_counter()
                ids = [job_enqueue(JOB, arguments={"path": str(runs)}).pk for _ in range(jobs)]
                while Job.objects.filter(pk__in=ids, state=Job.State.SUCCEEDED).count() < jobs:
                    if Job.objects.filter(pk__in=ids, state=Job.State.FAILED).exists():
                        raise SystemExit("a benchmark job failed")
                    time.sleep(0.1)
                took = time.perf_counter() - began
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    proc.wait(timeout=30)
            lines = [line.split() for line in runs.read_text().splitlines()]
            per_job: dict[str, int] = {}
            per_pid: dict[str, int] = {}
            for job_id, pid in lines:
                per_job[job_id] = per_job.get(job_id, 0) + 1
                per_pid[pid] = per_pid.get(pid, 0) + 1
            twice = sum(1 for n in per_job.values() if n > 1)
            attempts = (Job.objects.filter(pk__in=ids).values("attempts")
                        .annotate(n=Count("pk")))
            assert {a["attempts"] for a in attempts} == {1}
            print(f"| {count} | {took:.1f} | {jobs / took:.1f} | {twice} | "
                  f"{' + '.join(str(v) for v in sorted(per_pid.values()))} |", flush=True)


def backup(engine: str, pg_url: str) -> None:
    url = _database_url(engine, pg_url)
    setup_django(url)
    from django.conf import settings

    from vrisac.ops.backup import backup_check, backup_create
    from vrisac.reports.models import Report
    from vrisac.reports.services import attachment_add

    with tempfile.TemporaryDirectory(dir=ROOT / "var" / "bench") as tmp:
        work = Path(tmp)
        settings.ATTACHMENT_ROOT = work / "attachments"
        report = Report.objects.order_by("pk").first()
        if report is None:
            raise SystemExit("run `python -m bench ops writers` first")
        for i in range(200):
            attachment_add(report=report, uploaded_by=report.author, filename=f"log{i}.txt",
                           stream=io.BytesIO((f"{i} " + uuid.uuid4().hex * 3 + "\n").encode()
                                             * 1050))
        rows = Report.objects.count()
        began = time.perf_counter()
        result = backup_create(path=work / "backups")
        made = time.perf_counter() - began
        began = time.perf_counter()
        backup_check(result.path)
        checked = time.perf_counter() - began
        target = _empty_target(engine, pg_url, work)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VRISAC_", "DJANGO_"))}
        env.update({"DATABASE_URL": target, "VRISAC_DATA_DIR": str(work / "restored")})
        began = time.perf_counter()
        done = subprocess.run([str(Path(sys.executable).parent / "vrisac"), "restore",
                               str(result.path)], env=env, cwd=ROOT, capture_output=True,
                              text=True, check=False)
        restored = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        if engine == "postgresql":
            import psycopg

            with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{PG_DB}_restore" WITH (FORCE)')
    print(f"\n## backup on {engine}: {rows} reports, {result.rows} rows in {result.tables} "
          f"tables, {result.files} files")
    print("| step | seconds |")
    print("|---|---:|")
    print(f"| backup ({result.size / 1e6:.1f} MB written) | {made:.2f} |")
    print(f"| check every table and file | {checked:.2f} |")
    print(f"| restore into an empty database, checked (new process) | {restored:.2f} |")
    print(f"peak memory {peak_rss_mb():.0f} MB")


def _empty_target(engine: str, pg_url: str, work: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{work / 'restored.sqlite3'}"
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}_restore" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_DB}_restore"')
    return f"{pg_url}/{PG_DB}_restore"


def scrape(engine: str, pg_url: str) -> None:
    setup_django(_database_url(engine, pg_url))
    from vrisac.core.models import Job
    from vrisac.ops.metrics import exposition

    missing = 10_000 - Job.objects.count()
    if missing > 0:
        Job.objects.bulk_create([Job(name=f"bench.kind{i % 12}", state=["succeeded", "failed",
                                                                          "queued"][i % 3])
                                 for i in range(missing)], batch_size=2000)
    print(f"\n## /metrics platform figures on {engine}, {Job.objects.count()} job rows: "
          f"{median_ms(exposition, repeat=30):.1f} ms median")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench ops")
    parser.add_argument("what", nargs="?", default="all",
                        choices=["all", "writers", "workers", "backup", "scrape"])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--levels", default="1,2,4,8,16,32")
    parser.add_argument("--jobs", type=int, default=300)
    args = parser.parse_args(argv)
    engines = [args.engine] if args.engine else ["sqlite", "postgresql"]
    if len(engines) > 1 or args.what == "all":
        # Django is set up once per process: each engine and part runs in a process of its own.
        parts = ["writers", "workers", "backup", "scrape"] if args.what == "all" else [args.what]
        for part in parts:
            for engine in engines:
                subprocess.run([sys.executable, "-m", "bench", "ops", part, "--engine", engine,
                                "--pg-url", args.pg_url, "--seconds", str(args.seconds),
                                "--levels", args.levels, "--jobs", str(args.jobs)],
                               cwd=ROOT, check=True)
        return
    if args.what == "writers":
        writers(args.engine, args.pg_url, [int(x) for x in args.levels.split(",")],
                args.seconds)
    elif args.what == "workers":
        workers(args.engine, args.pg_url, args.jobs)
    elif args.what == "backup":
        backup(args.engine, args.pg_url)
    else:
        scrape(args.engine, args.pg_url)
