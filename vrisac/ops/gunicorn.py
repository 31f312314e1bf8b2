"""Gunicorn's configuration for VR-ISAC (``gunicorn -c python:vrisac.ops.gunicorn ...``;
``vrisac serve`` passes it).

* Request metrics of all web processes add up: each process writes its counters to a folder
  (``PROMETHEUS_MULTIPROC_DIR``, by default ``metrics/`` in the data folder), emptied when the
  server starts, and a process that exits is marked dead there.
* The access log and gunicorn's own log are JSON lines in the same shape as the platform's
  logs, with the request id and the signed-in person's id, never the query string's secrets.
"""

from __future__ import annotations

import logging
import shutil
import sys
from typing import Any

from gunicorn.glogging import Logger

from config import env

_metrics_dir = env.export_metrics_dir()


def on_starting(server: Any) -> None:
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class JsonLogger(Logger):
    """Gunicorn's logger, writing JSON lines through the platform's formatter."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        from vrisac.core.logging import JsonFormatter

        formatter = JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        from vrisac.core.logging import redact

        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        millis = request_time.seconds * 1000 + request_time.microseconds / 1000
        self.access_log.info(
            "%s %s %s", environ.get("REQUEST_METHOD"), path, status,
            extra={
                "request_id": environ.get("vrisac.request_id"),
                "user_id": environ.get("vrisac.user_id"),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "method": environ.get("REQUEST_METHOD"),
                "path": path,
                "query": redact(query) if query else "",
                "status": int(status) if str(status).isdigit() else status,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(millis, 3),
                "user_agent": environ.get("HTTP_USER_AGENT", "")[:300],
            },
        )


logger_class = JsonLogger
# The runtime control socket (gunicornc) is not used; one per home folder would be shared by
# every server started by the same user on the machine.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
# Logs go to standard output/error as they are written (systemd's journal takes them).
capture_output = False
logging.getLogger("gunicorn.error").propagate = False
sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
