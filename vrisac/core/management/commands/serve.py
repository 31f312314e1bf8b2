"""``vrisac serve``: the production-grade web server (gunicorn) plus the task worker with the
scheduler (the embedded default: one machine)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from config import env as config_env


class Command(BaseCommand):
    help = "Serve the platform with gunicorn (static files via WhiteNoise) and run the task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web processes")
        parser.add_argument("--threads", type=int, default=8, help="threads per web process")
        parser.add_argument(
            "--max-requests", type=int, default=100_000,
            help="a web process is replaced after about this many requests (a guard against "
                 "slow memory growth; replacing one costs its start-up, about three seconds "
                 "of one core)")
        parser.add_argument("--task-workers", type=int, default=1,
                            help="task worker processes (0: web only)")
        parser.add_argument("--no-worker", action="store_true",
                            help="web only; run workers elsewhere (`vrisac worker`)")

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)}
        bind = f"{options['host']}:{options['port']}"
        web = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--config", "python:vrisac.ops.gunicorn",
            "--bind", bind,
            "--workers", str(options["workers"]),
            "--worker-class", "gthread",
            "--threads", str(options["threads"]),
            "--timeout", "120",
            "--graceful-timeout", "20",
            "--max-requests", str(options["max_requests"]),
            "--max-requests-jitter", str(options["max_requests"] // 10),
            "--forwarded-allow-ips", config_env.get("VRISAC_FORWARDED_ALLOW_IPS", "127.0.0.1")
            or "127.0.0.1",
        ]
        processes: list[subprocess.Popen[bytes]] = [subprocess.Popen(web, env=env)]  # noqa: S603
        task_workers = 0 if options["no_worker"] else options["task_workers"]
        for _ in range(task_workers):
            worker = [sys.executable, "-m", "config.cli", "worker", "--queue-name", "*",
                      "--interval", "1"]
            processes.append(subprocess.Popen(worker, env=env))  # noqa: S603
        self.stdout.write(f"VR-ISAC serving on http://{bind}/ with {task_workers} task worker(s) "
                          "and the scheduler")

        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True
            for proc in processes:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while True:
                for proc in processes:
                    code = proc.poll()
                    if code is not None and not stopping:
                        self.stderr.write(f"process {proc.pid} exited with {code}; stopping")
                        exit_code = code or 1
                        stop(signal.SIGTERM, None)
                if all(p.poll() is not None for p in processes):
                    break
                time.sleep(0.5)
        finally:
            for proc in processes:
                try:
                    proc.wait(timeout=25)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if exit_code:
            sys.exit(exit_code)
