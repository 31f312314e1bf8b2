"""/healthz, /readyz and /metrics: what load balancers and monitoring see, what anonymous
callers from any address get, and the figures adding up across gunicorn's processes."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from vrisac.accounts.services import token_create
from vrisac.core.jobs import job_run
from vrisac.core.models import Job
from vrisac.core.testing import client_for
from vrisac.ops.metrics import count_by, warnings_by_priority
from vrisac.ops.models import ProcessHeartbeat
from vrisac.ops.tests.support import (
    free_port,
    get,
    process_env,
    processes,
    vrisac_process,
    wait_for,
    wait_http,
)

TOKEN = "metrics-token-for-tests-3f9a1c"


def _beat(kind: str, age: timedelta = timedelta(0)) -> None:
    now = timezone.now()
    ProcessHeartbeat.objects.create(process_id=f"{kind}:test:{now.timestamp()}", kind=kind,
                                    hostname="worker-1", pid=4242, started_at=now - age,
                                    seen_at=now - age)


@pytest.mark.django_db
def test_healthz_answers_without_the_database(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_wants_the_database_and_a_recent_worker_and_scheduler() -> None:
    client = Client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == "ok"
    assert "no heartbeat" in body["checks"]["worker"]
    _beat("worker")
    assert client.get("/readyz").status_code == 503  # no scheduler yet
    _beat("scheduler")
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["worker"] == "1 alive"


@pytest.mark.django_db
def test_readyz_fails_when_the_worker_went_silent(settings: Any) -> None:
    settings.VRISAC_READY_HEARTBEAT_SECONDS = 60
    _beat("worker", age=timedelta(seconds=61))
    _beat("scheduler")
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert "no heartbeat in 60 s" in response.json()["checks"]["worker"]


@pytest.mark.django_db
@pytest.mark.parametrize("remote", ["127.0.0.1", "::1", "10.0.0.5", "203.0.113.9"])
def test_metrics_are_off_without_a_token_configured(settings: Any, remote: str) -> None:
    settings.VRISAC_METRICS_TOKEN = None
    assert Client(REMOTE_ADDR=remote).get("/metrics").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("remote", ["127.0.0.1", "::1", "10.0.0.5"])
def test_metrics_refuse_anonymous_callers_from_any_address(settings: Any, remote: str,
                                                           people: dict[str, Any]) -> None:
    settings.VRISAC_METRICS_TOKEN = TOKEN
    for header in ("", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "):
        headers = {"Authorization": header} if header else {}
        response = Client(REMOTE_ADDR=remote).get("/metrics", headers=headers)
        assert response.status_code == 401, header
        assert "vrisac_" not in response.content.decode()
    # A signed-in administrator without the token is no scraper either.
    assert client_for(people["admin"]).get("/metrics").status_code == 401


@pytest.mark.django_db
def test_metrics_with_the_token_report_requests_jobs_queue_and_processes(settings: Any
                                                                         ) -> None:
    settings.VRISAC_METRICS_TOKEN = TOKEN
    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    Client().get("/healthz")
    job_run("ops_test.record", arguments={"path": "/dev/null"})
    job_run("ops_test.slow_first", arguments={"seconds": 0})
    failed = job_run("ops_test.record", arguments={"path": "/"}, raise_errors=False)
    assert failed.state == Job.State.FAILED
    Job.objects.create(name="notifications.digest")  # waiting in the notifications queue
    _beat("worker")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert 'vrisac_http_requests_total{method="GET",route="healthz",status="200"}' in text
    assert 'vrisac_http_request_duration_seconds_bucket{le="0.005",method="GET",route="healthz"}' \
        in text
    assert 'vrisac_job_runs_total{job="ops_test.record",result="succeeded"} 1.0' in text
    assert 'vrisac_job_runs_total{job="ops_test.record",result="failed"} 1.0' in text
    assert 'vrisac_job_queue_length{queue="notifications"} 1.0' in text
    assert 'vrisac_job_queue_length{queue="default"} 0.0' in text
    assert 'vrisac_processes_alive{kind="worker"} 1.0' in text
    assert 'vrisac_processes_alive{kind="scheduler"} 0.0' in text


@pytest.mark.django_db
def test_warnings_by_priority_count_rows_when_the_warnings_app_has_them() -> None:
    from django.apps import apps

    expected = count_by("core.Job", "state")
    Job.objects.create(name="a")
    Job.objects.create(name="b", state=Job.State.RUNNING)
    assert count_by("core.Job", "state") == {**(expected or {}), "queued": 1, "running": 1}
    assert count_by("core.Job", "no_such_field") is None
    assert count_by("nowhere.Nothing", "priority") is None
    has_model = any(m.__name__ == "Warning" for m in apps.get_app_config("alerts").get_models())
    assert (warnings_by_priority() is None) == (not has_model)


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def _gunicorn_master(log: Path) -> int:
    for entry in _json_lines(log):
        if entry.get("logger") == "gunicorn.error" and "Listening at" in entry["message"]:
            return int(entry["message"].rsplit("(", 1)[1].rstrip(")"))
    raise AssertionError("gunicorn did not say where it listens")


def _booted(log: Path) -> int:
    return sum(1 for e in _json_lines(log) if "Booting worker" in e.get("message", ""))


def _healthz_count(base: str) -> float:
    status, text, _headers = get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    for line in text.splitlines():
        if line.startswith('vrisac_http_requests_total{method="GET",route="healthz",'
                           'status="200"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.django_db(transaction=True)
def test_served_by_several_processes_metrics_add_up_and_logs_are_json_without_secrets(
        tmp_path: Path, people: dict[str, Any]) -> None:
    """`vrisac serve` with two gunicorn processes: every request is counted once in /metrics,
    whichever process answered; the access log is JSON with the request id and the user id,
    never the e-mail address, a token, a password or a session id."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = process_env(tmp_path, VRISAC_METRICS_TOKEN=TOKEN)
    server = vrisac_process(["serve", "--port", str(port), "--workers", "2", "--threads", "2",
                             "--no-worker"], env, log)
    with processes(server):
        # Wait on another route: a probe of /healthz that timed out on a busy machine is still
        # answered, and counted, after the count below was read.
        wait_http(f"{base}/readyz")
        before = _healthz_count(base)
        for _ in range(40):
            assert get(f"{base}/healthz")[0] == 200
        # Each request counted once, whichever of the two processes answered it.
        assert _healthz_count(base) - before == 40
        # New processes replace the old ones (a reload, or --max-requests): the counts of the
        # processes that ended stay in the sum.
        master = _gunicorn_master(log)
        booted = _booted(log)
        os.kill(master, signal.SIGHUP)
        wait_for(lambda: _booted(log) >= booted + 2, timeout=60, what="new web processes")
        # While the old processes finish, a request may be turned away: count what was served.
        # A request cut off by the reload may or may not have been counted before it broke.
        served = broken = 0
        deadline = time.monotonic() + 60
        while served < 10 and time.monotonic() < deadline:
            try:
                served += get(f"{base}/healthz")[0] == 200
            except OSError:
                broken += 1
                time.sleep(0.2)
        assert served == 10
        assert 50 <= _healthz_count(base) - before <= 50 + broken
        user = people["utrecht"]
        _token, raw = token_create(user=user, scopes=["reports:read"])
        status, _body, headers = get(f"{base}/api/v1/reports", {
            "Authorization": f"Bearer {raw}", "X-Request-ID": "req-abcdef123456"})
        assert status == 200 and headers["X-Request-ID"] == "req-abcdef123456"
        session = client_for(user).cookies["sessionid"].value
        get(f"{base}/healthz", {"Cookie": f"sessionid={session}"})
        get(f"{base}/accounts/login/?next=/&token=s3cr3t-value&password=hunter2hunter2",
            {"Authorization": "Bearer vrs_leaky_token"})
        assert get(f"{base}/metrics")[0] == 401

        def logged() -> list[dict[str, Any]]:
            return [e for e in _json_lines(log) if e.get("logger") == "gunicorn.access"
                    and e.get("path") == "/api/v1/reports"]

        entry = wait_for(logged, timeout=20, what="the access log line")[0]
    assert entry["request_id"] == "req-abcdef123456" and entry["user_id"] == user.pk
    assert entry["status"] == 200 and entry["method"] == "GET" and entry["duration_ms"] > 0
    text = log.read_text()
    assert user.email not in text
    for secret in ("s3cr3t-value", "hunter2hunter2", "vrs_leaky_token", session, raw):
        assert secret not in text
    assert any(e.get("path") == "/accounts/login/" and "[redacted]" in e.get("query", "")
               for e in _json_lines(log))


@pytest.mark.django_db(transaction=True)
def test_readyz_fails_and_healthz_holds_when_the_database_is_unreachable(tmp_path: Path
                                                                        ) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = process_env(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:9/none")
    server = vrisac_process(["serve", "--port", str(port), "--workers", "1", "--no-worker"],
                            env, tmp_path / "serve.log")
    with processes(server):
        wait_http(f"{base}/healthz")
        assert get(f"{base}/healthz")[0] == 200
        status, body, _headers = get(f"{base}/readyz")
    assert status == 503
    checks = json.loads(body)["checks"]
    assert checks["database"].startswith("unreachable (OperationalError)")
    assert "nobody" not in body and "127.0.0.1:9" not in body


@pytest.mark.django_db(transaction=True)
def test_serve_starts_the_worker_with_the_scheduler_and_becomes_ready(tmp_path: Path) -> None:
    """The embedded default: one `vrisac serve` is web, task worker and scheduler."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = process_env(tmp_path, VRISAC_PROCESS_HEARTBEAT_SECONDS="1")
    server = vrisac_process(["serve", "--port", str(port), "--workers", "1"], env,
                            tmp_path / "serve.log")
    with processes(server):
        wait_http(f"{base}/healthz")
        wait_for(lambda: get(f"{base}/readyz")[0] == 200, timeout=60, what="ready")
        body = json.loads(get(f"{base}/readyz")[1])
        kinds = set(ProcessHeartbeat.objects.values_list("kind", flat=True))
    assert body["checks"] == {"database": "ok", "worker": "1 alive", "scheduler": "1 alive"}
    assert kinds == {"worker", "scheduler"}
    # Stopped, the processes took their heartbeats with them: not ready any more.
    assert not ProcessHeartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_serve_replaces_a_web_process_after_max_requests(tmp_path: Path) -> None:
    """``--max-requests`` reaches gunicorn: past it the process is replaced (and serving goes
    on). The default is high (100,000): a replacement costs seconds of start-up, and at 5,000
    every process was replaced every two or three minutes under load (docs/benchmarks.md)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = process_env(tmp_path)
    log = tmp_path / "serve.log"
    server = vrisac_process(["serve", "--port", str(port), "--workers", "1", "--threads", "1",
                             "--no-worker", "--max-requests", "10"], env, log)
    with processes(server):
        wait_http(f"{base}/healthz")
        for _ in range(30):
            wait_http(f"{base}/healthz")
        wait_for(lambda: "Autorestarting worker" in log.read_text(), timeout=120,
                 what="a replaced web process")
        wait_http(f"{base}/healthz")
        assert get(f"{base}/healthz")[0] == 200
    from vrisac.core.management.commands.serve import Command

    parser = Command().create_parser("vrisac", "serve")
    assert parser.parse_args([]).max_requests == 100_000
