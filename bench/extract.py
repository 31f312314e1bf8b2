"""Extraction from uploaded PDFs: what one upload costs the server, through the real path.

    .venv/bin/python -m bench extract [--pages 10] [--megabytes 70]

``vrisac serve`` (gunicorn, one web process, no task worker) on a fresh SQLite database in
var/bench/; a participant's token posts each file to ``POST /api/v1/extract/file`` and the
processor time of the server's whole process tree is read from /proc before and after the
answer: user and system time of every process, plus that of their finished children (the
process that reads a PDF is one), so nothing the upload costs is left out. The files:

* ``ordinary``: the one-page advisory of the extraction tests;
* ``comments``: ``pages`` pages whose contents are all one Flate stream that unpacks to
  ``megabytes`` MB, a line of text and then comment lines (``vrisac.intel.testing``); read
  whole, the parse is repeated for every page;
* ``operators``: the same with the stream made of text operators (``BT (A) Tj ET``);
* ``dense``: one page of 15 MB of text arrays (``[(A) 120 (B)] TJ``), within the content
  budget but seconds of parsing a megabyte: what the processor-time limit is for;
* ``hashes``: not a file but the most text a PDF may give (1,000,000 characters), pasted to
  ``POST /api/v1/extract``: one line of one hash repeated, the candidates' own work.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from bench.common import ROOT, fresh_database, process_tree, served, vrisac

FIXTURE = ROOT / "vrisac" / "intel" / "tests" / "fixtures" / "advisory.pdf"
_ACCOUNT = """
from vrisac.accounts.services import token_create
from vrisac.core.testing import make_person
person = make_person("participant", "utrecht", name="Bench Utrecht")
print(token_create(user=person, scopes=["intel:read"], name="bench")[1])
"""


def tree_cpu_seconds(pid: int) -> float:
    """User and system time of ``pid``'s process tree, with its reaped children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime: fields 14 to 17 of proc(5), counted after the name.
        total += sum(int(value) for value in fields[11:15])
    return total / ticks


@contextmanager
def platform() -> Iterator[tuple[int, str, str]]:
    """(pid of `vrisac serve`, base URL, a participant's token) on a fresh database."""
    url = fresh_database(None, sqlite_name="extract.sqlite3", prefix="vrisac_extract")
    data_dir = ROOT / "var" / "bench" / "extract-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    static = data_dir / "static"
    if not static.exists() and (ROOT / "var" / "static").exists():
        static.symlink_to(ROOT / "var" / "static", target_is_directory=True)
    env = {**os.environ, "DATABASE_URL": url, "VRISAC_ENV": "local",
           "DJANGO_SETTINGS_MODULE": "config.settings.local", "VRISAC_LOG_LEVEL": "WARNING",
           "VRISAC_DATA_DIR": str(data_dir)}
    vrisac(env, "migrate", "--noinput", "--verbosity", "0")
    token = vrisac(env, "shell", "-c", _ACCOUNT).split()[-1]
    with served(env, "--workers", "1", "--threads", "2", "--task-workers", "0",
                log=data_dir / "serve.log") as (pid, base):
        yield pid, base, token


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench extract")
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--megabytes", type=int, default=70)
    options = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from vrisac.intel.testing import shared_stream_pdf

    files = {
        "ordinary": FIXTURE.read_bytes(),
        "comments": shared_stream_pdf(pages=options.pages, megabytes=options.megabytes),
        "operators": shared_stream_pdf(pages=options.pages, megabytes=options.megabytes,
                                       filler=b"BT /F1 12 Tf (A) Tj ET\n"),
        "dense": shared_stream_pdf(pages=1, megabytes=15,
                                   filler=b"BT /F1 12 Tf [(A) 120 (B)] TJ ET\n"),
        "hashes": (b"d41d8cd98f00b204e9800998ecf8427e " * 30_303)[:1_000_000],
    }
    print(f"{'file':<10} {'size':>9} {'status':>6} {'server CPU s':>12} {'wall s':>7}  answer")
    with platform() as (pid, base, token):
        auth = {"Authorization": f"Bearer {token}"}
        requests.get(f"{base}/api/v1/openapi.json", timeout=60)  # the web process warmed up
        for name, data in files.items():
            time.sleep(1.0)
            before, started = tree_cpu_seconds(pid), time.monotonic()
            if name == "hashes":
                response = requests.post(f"{base}/api/v1/extract", headers=auth,
                                         json={"text": data.decode()}, timeout=600)
            else:
                response = requests.post(f"{base}/api/v1/extract/file", headers=auth, files={
                    "file": (f"{name}.pdf", data, "application/pdf")}, timeout=600)
            wall = time.monotonic() - started
            time.sleep(0.5)  # the reading process reaped and counted
            cpu = tree_cpu_seconds(pid) - before
            body = response.json()
            answer = (f"{len(body['items'])} candidates" if response.status_code == 200
                      else str(body.get("detail") or body)[:150])
            print(f"{name:<10} {len(data):>9,} {response.status_code:>6} {cpu:>12.2f} "
                  f"{wall:>7.2f}  {answer}", flush=True)
