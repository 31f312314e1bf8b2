"""The task worker process: the Tasks framework's database worker, plus a heartbeat that
/readyz and the jobs page read, plus (unless told otherwise) the scheduler."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from vrisac.core.request_context import Origin, set_origin

from . import services
from .models import ProcessHeartbeat
from .scheduler import Scheduler, new_process_id

logger = logging.getLogger(__name__)


class Beat(threading.Thread):
    """Call ``func`` every ``seconds`` until stopped, in a thread with its own connection."""

    def __init__(self, func: Callable[[], Any], seconds: float, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.func = func
        self.seconds = seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while True:
                close_old_connections()
                try:
                    self.func()
                except Exception:
                    logger.exception("heartbeat failed")
                if self.stopped.wait(self.seconds):
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


def run_worker(*, queue_names: list[str], interval: float, with_scheduler: bool,
               max_tasks: int | None = None) -> None:
    """Run until SIGTERM/SIGINT: take tasks from the queue and run them."""
    from django_tasks_db.management.commands.db_worker import Worker

    process_id = new_process_id("worker")
    started_at = timezone.now()
    # Audit rows and job rows written by the jobs this process runs say "worker".
    set_origin(Origin(channel="worker"))

    def beat() -> None:
        services.heartbeat_beat(process_id=process_id, kind=ProcessHeartbeat.Kind.WORKER,
                                hostname=socket.gethostname(), pid=os.getpid(),
                                started_at=started_at)

    heart = Beat(beat, settings.VRISAC_PROCESS_HEARTBEAT_SECONDS, "worker-heartbeat")
    heart.start()
    scheduler = Scheduler() if with_scheduler else None
    if scheduler is not None:
        scheduler.start()
    worker = Worker(queue_names=queue_names, interval=interval, batch=False,
                    backend_name="default", startup_delay=True, max_tasks=max_tasks,
                    worker_id=process_id[:64], excluded_queue_names=[])
    logger.info("worker started", extra={"process_id": process_id, "queues": queue_names,
                                         "scheduler": with_scheduler})
    try:
        worker.configure_signals()
        worker.run()
    finally:
        # Stopping: a second SIGTERM (systemd and `vrisac serve` may both send one) must not
        # cut the clean-up short, or the heartbeats would outlive the process.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        if scheduler is not None:
            scheduler.shutdown()
        heart.stop()
        services.heartbeat_forget(process_id=process_id)
        logger.info("worker stopped", extra={"process_id": process_id})
