"""medallion 3.0.0, the OASIS TAXII 2.1 reference server, as a peer for the tests and the
exchange benchmark: installed into a virtualenv of its own under ``var/peers/medallion`` with
the machine's pip defaults, run with its memory back end and one user on a loopback port.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MEDALLION_VERSION = "3.0.0"
ROOT = Path(__file__).resolve().parents[3]
PEER_DIR = ROOT / "var" / "peers" / "medallion"
API_ROOT = "api1"
COLLECTION_ID = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
USER, PASSWORD = "vrisac", "medallion-peer-password"


class PeerUnavailable(Exception):
    """medallion could not be installed here; the message says why."""


def medallion_command() -> Path:
    """The ``medallion`` script, installing it first if need be. Test processes running at
    once take turns (a lock file), and only a finished installation counts (its stamp)."""
    script = PEER_DIR / "bin" / "medallion"
    stamp = PEER_DIR / f"installed-{MEDALLION_VERSION}"
    if stamp.exists():
        return script
    PEER_DIR.parent.mkdir(parents=True, exist_ok=True)
    with open(PEER_DIR.parent / "medallion.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return script
        steps = [[sys.executable, "-m", "venv", "--clear", str(PEER_DIR)],
                 [str(PEER_DIR / "bin" / "python"), "-m", "pip", "install", "--quiet",
                  f"medallion=={MEDALLION_VERSION}"]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True,  # noqa: S603
                                  timeout=600, check=False)
            if done.returncode != 0:
                raise PeerUnavailable(f"{' '.join(step[-2:])} failed: "
                                      f"{(done.stderr or done.stdout).strip()[-500:]}")
        if not script.exists():
            raise PeerUnavailable(f"medallion {MEDALLION_VERSION} installed no medallion "
                                  "script")
        stamp.touch()
    return script


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Medallion:
    url: str
    pid: int

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/taxii2/"

    @property
    def api_root_url(self) -> str:
        return f"{self.url}/{API_ROOT}/"

    @property
    def collection_url(self) -> str:
        return f"{self.api_root_url}collections/{COLLECTION_ID}/"


def _data(url: str) -> dict[str, object]:
    return {
        "/discovery": {"title": "medallion peer", "description": "reference server",
                       "default": f"{url}/{API_ROOT}/",
                       "api_roots": [f"{url}/{API_ROOT}/"]},
        API_ROOT: {
            "information": {"title": "peer API root", "versions": ["application/taxii+json;"
                                                                   "version=2.1"],
                            "max_content_length": 512 * 1024 * 1024},
            "status": [],
            "collections": [{
                "id": COLLECTION_ID, "title": "Indicators", "description": "peer collection",
                "can_read": True, "can_write": True,
                "media_types": ["application/stix+json;version=2.1"],
                "objects": [], "manifest": [],
            }],
        },
    }


@contextmanager
def medallion_server(work_dir: Path | None = None, max_page_size: int = 1000
                     ) -> Iterator[Medallion]:
    """A running, empty medallion on loopback; stopped (its whole process group) on exit."""
    script = medallion_command()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(dir=work_dir) as folder:
        data = Path(folder) / "data.json"
        data.write_text(json.dumps(_data(url)))
        config = Path(folder) / "config.json"
        config.write_text(json.dumps({
            "backend": {"module": "medallion.backends.memory_backend",
                        "module_class": "MemoryBackend", "filename": str(data)},
            "users": {USER: PASSWORD},
            "taxii": {"max_page_size": max_page_size},
        }))
        log = (Path(folder) / "medallion.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 (our own peer, fixed arguments)
            [str(script), "--host", "127.0.0.1", "--port", str(port), "--log-level", "ERROR",
             str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_ready(f"{url}/taxii2/", process, Path(folder) / "medallion.log")
            yield Medallion(url=url, pid=process.pid)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path,
                timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PeerUnavailable(f"medallion stopped at start: {log.read_text()[-1000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (loopback)
            return
        except urllib.error.HTTPError:
            return  # it answers (401 without credentials): it is up
        except OSError:
            time.sleep(0.2)
    raise PeerUnavailable("medallion did not answer within 30 seconds")
