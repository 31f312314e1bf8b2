"""Metrics in the Prometheus text format.

Request counts and latencies are counted in each web process. Under gunicorn the processes
write them to files in ``PROMETHEUS_MULTIPROC_DIR`` (set by ``vrisac/ops/gunicorn.py``, a
folder in the data folder) and /metrics adds up every process of the node
(prometheus_client's multiprocess mode). Job runs, failures, queue length, workers alive and
warnings by priority are read from the database at each scrape, so every node reports the same
figures for the whole platform.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db.models import Count
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from config import env

REQUESTS = Counter("vrisac_http_requests", "HTTP requests answered by the platform",
                   ["method", "route", "status"])
LATENCY = Histogram("vrisac_http_request_duration_seconds",
                    "Time from receiving a request to answering it", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                  "OPTIONS"} else "other"
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def count_by(model_label: str, field: str, **filters: Any) -> dict[str, int] | None:
    """Rows of ``model_label`` per value of ``field``; None when that model or field is not
    installed (the warnings app counts only once it exists)."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        return None
    if field not in {f.name for f in model._meta.get_fields()}:
        return None
    rows = model._default_manager.filter(**filters).values(field).annotate(n=Count("pk"))
    return {str(row[field]): int(row["n"]) for row in rows}


def warnings_by_priority() -> dict[str, int] | None:
    """Warnings (``alerts.Warning`` rows) per priority, when the warnings app has them."""
    return count_by("alerts.Warning", "priority")


class PlatformCollector(Collector):
    """Figures of the whole platform, read from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        from django.conf import settings
        from django.utils import timezone

        from vrisac.core.jobs import JOBS
        from vrisac.core.models import Job

        from .models import JobRunTally, ProcessHeartbeat

        runs = CounterMetricFamily("vrisac_job_runs", "Finished job runs, by job and result",
                                   labels=["job", "result"])
        totals: dict[tuple[str, str], int] = {}
        finished = (Job.objects.filter(state__in=[Job.State.SUCCEEDED, Job.State.FAILED])
                    .values("name", "state").annotate(n=Count("pk")))
        for row in finished:
            totals[(row["name"], row["state"])] = int(row["n"])
        for tally in JobRunTally.objects.all():
            key = (tally.name, tally.state)
            totals[key] = totals.get(key, 0) + tally.count
        for (name, state), n in sorted(totals.items()):
            runs.add_metric([name, state], n)
        yield runs

        queued = GaugeMetricFamily("vrisac_job_queue_length", "Jobs waiting for a worker",
                                   labels=["queue"])
        running = GaugeMetricFamily("vrisac_jobs_running", "Jobs being run now",
                                    labels=["queue"])
        per_queue: dict[str, dict[str, int]] = {
            q: {Job.State.QUEUED: 0, Job.State.RUNNING: 0}
            for q in settings.TASKS["default"].get("QUEUES", ["default"])}
        unfinished = (Job.objects.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING])
                      .values("name", "state").annotate(n=Count("pk")))
        for row in unfinished:
            spec = JOBS.get(row["name"])
            queue = spec.queue if spec else "default"
            per_queue.setdefault(queue, {Job.State.QUEUED: 0, Job.State.RUNNING: 0})
            per_queue[queue][row["state"]] += int(row["n"])
        for queue, counts in sorted(per_queue.items()):
            queued.add_metric([queue], counts[Job.State.QUEUED])
            running.add_metric([queue], counts[Job.State.RUNNING])
        yield queued
        yield running

        alive = GaugeMetricFamily("vrisac_processes_alive",
                                  "Workers and schedulers with a recent heartbeat",
                                  labels=["kind"])
        since = timezone.now() - timedelta(seconds=settings.VRISAC_READY_HEARTBEAT_SECONDS)
        seen = dict(ProcessHeartbeat.objects.filter(seen_at__gte=since).values("kind")
                    .annotate(n=Count("pk")).values_list("kind", "n"))
        for kind in ProcessHeartbeat.Kind.values:
            alive.add_metric([kind], int(seen.get(kind, 0)))
        yield alive

        warnings = warnings_by_priority()
        if warnings is not None:
            family = GaugeMetricFamily("vrisac_warnings", "Warnings, by priority",
                                       labels=["priority"])
            for priority, n in sorted(warnings.items()):
                family.add_metric([priority], n)
            yield family


def exposition() -> bytes:
    """The text /metrics answers: the request figures of every process of this node, then
    the platform's figures from the database."""
    if env.get("PROMETHEUS_MULTIPROC_DIR"):
        requests_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests_registry)
        requests_text = generate_latest(requests_registry)
    else:
        requests_text = generate_latest(REGISTRY)
    platform = CollectorRegistry(auto_describe=False)
    platform.register(PlatformCollector())
    return requests_text + generate_latest(platform)
