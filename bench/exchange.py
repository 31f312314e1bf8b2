"""TAXII 2.1 exchange: the platform's TAXII server side by side with medallion 3.0.0 (the
OASIS reference server, memory back end), on the same STIX indicators, driven by the same
client code (plain HTTP with the TAXII media type, keep-alive) from this process.

    .venv/bin/python -m bench exchange [--sizes 5000,50000,1000000]
        [--db postgres://postgres@127.0.0.1:5432/vrisac_exchange_bench] [--peers medallion,platform]

For each server, starting empty:

1. post: envelopes of 1,000 objects, each followed until its status is complete;
2. page: the whole collection at ``limit=1000``, following ``next``;
3. match: 200 objects fetched one by one with ``match[id]``.

medallion runs in its own virtualenv under var/peers/medallion (made on first use with the
machine's pip defaults); the platform is served by ``vrisac serve`` (gunicorn, no task
worker) on a fresh database: SQLite in var/bench/, or the PostgreSQL database named in
``--db`` (dropped and created again, so give it a name of its own). The first size is run
on both; medallion's memory back end grows quadratically, so the larger sizes are run on the
platform alone. Peak resident memory is sampled over each server's whole process tree.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import requests

from bench.common import ROOT, fresh_database, process_tree, served, vrisac

MEDIA = "application/taxii+json;version=2.1"
ENVELOPE = 1000
PAGE = 1000
LOOKUPS = 200
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
NAMESPACE = uuid.UUID("5d0b3f9e-1c51-4b9a-9d0e-6a1f2f6b7c11")


# --- data ---------------------------------------------------------------------------------

def _pattern(rnd: random.Random, n: int) -> str:
    kind = n % 4
    if kind == 0:
        return f"[ipv4-addr:value = '{rnd.randrange(1, 224)}.{rnd.randrange(256)}." \
               f"{rnd.randrange(256)}.{rnd.randrange(1, 255)}']"
    if kind == 1:
        return f"[domain-name:value = 'host{n}.bench-{rnd.randrange(10**6)}.example']"
    if kind == 2:
        return f"[url:value = 'https://bench{n}.example/path/{rnd.randrange(10**9)}']"
    return f"[file:hashes.'SHA-256' = '{rnd.getrandbits(256):064x}']"


def indicators(count: int, seed: int = 4) -> Iterator[dict[str, Any]]:
    """``count`` STIX 2.1 indicators, the same for every server and run."""
    rnd = random.Random(seed)
    for n in range(count):
        stamp = f"2026-0{1 + n % 9}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00.000Z"
        yield {
            "type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{uuid.uuid5(NAMESPACE, str(n))}",
            "created": stamp, "modified": stamp,
            "name": f"Bench indicator {n}", "indicator_types": ["malicious-activity"],
            "pattern_type": "stix", "pattern": _pattern(rnd, n), "valid_from": stamp,
            "object_marking_refs": [TLP_GREEN],
        }


# --- peak memory of a process tree --------------------------------------------------------

def tree_rss_mb(pid: int) -> float:
    total = 0
    for each in process_tree(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class PeakSampler:
    """Samples the resident memory of a process tree ten times a second."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, tree_rss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak, tree_rss_mb(self.pid))


# --- the client: one for both servers -----------------------------------------------------

@dataclass
class Peer:
    name: str
    pid: int
    api_root: str
    collection: str
    headers: dict[str, str]
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.session.headers.update({"Accept": MEDIA, **self.headers})

    @property
    def objects_url(self) -> str:
        return f"{self.api_root}collections/{self.collection}/objects/"

    def get(self, url: str) -> requests.Response:
        answer = self.session.get(url, timeout=3600)
        if answer.status_code != 200:
            raise SystemExit(f"{self.name}: GET {url[:200]} answered {answer.status_code}: "
                             f"{answer.text[:300]}")
        return answer


def post_all(peer: Peer, objects: list[dict[str, Any]]) -> float:
    """Post in envelopes, following each status until complete; seconds taken."""
    started = time.perf_counter()
    for start in range(0, len(objects), ENVELOPE):
        body = orjson.dumps({"objects": objects[start:start + ENVELOPE]})
        answer = peer.session.post(peer.objects_url, data=body, timeout=3600,
                                   headers={"Content-Type": MEDIA})
        if answer.status_code != 202:
            raise SystemExit(f"{peer.name}: POST answered {answer.status_code}: "
                             f"{answer.text[:300]}")
        status = answer.json()
        while status.get("status") != "complete":
            time.sleep(0.05)
            status = peer.get(f"{peer.api_root}status/{status['id']}/").json()
        if status.get("failure_count"):
            raise SystemExit(f"{peer.name}: {status['failure_count']} objects refused: "
                             f"{str(status.get('failures'))[:300]}")
    return time.perf_counter() - started


def page_all(peer: Peer) -> tuple[float, int, int]:
    """Read the whole collection at limit=1000; (seconds, objects, pages)."""
    started = time.perf_counter()
    params: dict[str, Any] = {"limit": PAGE}
    seen = pages = 0
    while True:
        answer = peer.get(f"{peer.objects_url}?{urlencode(params)}")
        envelope = orjson.loads(answer.content)
        seen += len(envelope.get("objects", []))
        pages += 1
        if not envelope.get("more"):
            break
        if envelope.get("next"):
            params["next"] = envelope["next"]
        else:
            params["added_after"] = answer.headers["X-TAXII-Date-Added-Last"]
    return time.perf_counter() - started, seen, pages


def match_ids(peer: Peer, ids: list[str]) -> float:
    started = time.perf_counter()
    for stix_id in ids:
        answer = peer.get(f"{peer.objects_url}?{urlencode({'match[id]': stix_id})}")
        got = orjson.loads(answer.content).get("objects", [])
        if [o["id"] for o in got] != [stix_id]:
            raise SystemExit(f"{peer.name}: match[id]={stix_id} gave {len(got)} objects")
    return time.perf_counter() - started


@dataclass
class Outcome:
    peer: str
    size: int
    post_s: float
    page_s: float
    match_s: float
    paged: int
    pages: int
    peak_mb: float

    def row(self) -> str:
        return (f"{self.peer:<22} {self.size:>9,} {self.size / self.post_s:>10,.0f} "
                f"{self.paged / self.page_s:>10,.0f} {LOOKUPS / self.match_s:>9,.1f} "
                f"{self.peak_mb:>9,.0f}")


HEADER = (f"{'server':<22} {'objects':>9} {'post/s':>10} {'page/s':>10} {'match/s':>9} "
          f"{'peak MB':>9}")


def run(peer: Peer, objects: list[dict[str, Any]]) -> Outcome:
    sampler = PeakSampler(peer.pid)
    try:
        post_s = post_all(peer, objects)
        page_s, paged, pages = page_all(peer)
        if paged != len(objects):
            raise SystemExit(f"{peer.name}: paging gave {paged} of {len(objects)} objects")
        chosen = random.Random(9).sample([o["id"] for o in objects], LOOKUPS)
        match_s = match_ids(peer, chosen)
    finally:
        peak = sampler.stop()
    return Outcome(peer.name, len(objects), post_s, page_s, match_s, paged, pages, peak)


# --- the servers --------------------------------------------------------------------------

@contextmanager
def medallion_peer() -> Iterator[Peer]:
    sys.path.insert(0, str(ROOT))
    import base64

    from vrisac.interop.taxii_client import testing

    pair = base64.b64encode(f"{testing.USER}:{testing.PASSWORD}".encode()).decode()
    with testing.medallion_server(max_page_size=PAGE) as server:
        yield Peer(f"medallion {testing.MEDALLION_VERSION}", server.pid, server.api_root_url,
                   testing.COLLECTION_ID, {"Authorization": f"Basic {pair}"})


@contextmanager
def platform_peer(database: str | None, size: int, workers: int) -> Iterator[Peer]:
    url = fresh_database(database, sqlite_name=f"exchange-{size}.sqlite3",
                         prefix="vrisac_exchange")
    data_dir = ROOT / "var" / "bench" / f"exchange-data-{size}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "VRISAC_ENV": "local",
           "DJANGO_SETTINGS_MODULE": "config.settings.local", "VRISAC_LOG_LEVEL": "WARNING",
           "VRISAC_DATA_DIR": str(data_dir)}
    vrisac(env, "migrate", "--noinput", "--verbosity", "0")
    token, api_root, collection = _platform_account(env)
    with served(env, "--workers", str(workers), "--task-workers", "0",
                log=data_dir / "serve.log") as (pid, base):
        yield Peer(f"VR-ISAC ({'PostgreSQL' if database else 'SQLite'})", pid,
                   f"{base}{api_root}", collection, {"Authorization": f"Bearer {token}"})


_ACCOUNT = """
from vrisac.accounts.services import token_create
from vrisac.core.testing import make_person
from vrisac.interop.taxii.collections import collection_id
person = make_person("participant", "utrecht", name="Bench Utrecht")
token, raw = token_create(user=person, scopes=["taxii:read", "taxii:write"], name="bench")
print(raw, collection_id("participants"))
"""


def _platform_account(env: dict[str, str]) -> tuple[str, str, str]:
    """A participant with a TAXII token, and the collection of all participants:
    (token, API root path, collection id)."""
    if not (ROOT / "vrisac" / "interop" / "taxii" / "collections.py").exists():
        raise SystemExit("the platform's TAXII server is not on this branch yet")
    token, collection = vrisac(env, "shell", "-c", _ACCOUNT).split()[-2:]
    return token, "/taxii2/api/", collection


# --- main ---------------------------------------------------------------------------------

def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench exchange")
    parser.add_argument("--sizes", default="5000",
                        help="comma-separated collection sizes; the first is run on both")
    parser.add_argument("--db", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--peers", default="medallion,platform")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    peers = set(args.peers.split(","))
    print(f"TAXII 2.1 exchange: envelopes of {ENVELOPE}, pages of {PAGE}, {LOOKUPS} "
          f"match[id] look-ups; loopback; {os.cpu_count()} CPUs shared", flush=True)
    print(HEADER, flush=True)
    outcomes: list[Outcome] = []
    for index, size in enumerate(sizes):
        objects = list(indicators(size))
        if index == 0 and "medallion" in peers:
            with medallion_peer() as peer:
                outcomes.append(run(peer, objects))
                print(outcomes[-1].row(), flush=True)
        if "platform" in peers:
            with platform_peer(args.db, size, args.workers) as peer:
                outcomes.append(run(peer, objects))
                print(outcomes[-1].row(), flush=True)
        del objects
    _ratios(outcomes)


def _ratios(outcomes: list[Outcome]) -> None:
    first = outcomes[0].size if outcomes else 0
    ours = [o for o in outcomes if not o.peer.startswith("medallion")]
    theirs = [o for o in outcomes if o.peer.startswith("medallion") and o.size == first]
    if ours and theirs:
        a, b = next(o for o in ours if o.size == first), theirs[0]
        print(f"platform / medallion at {first:,}: post x{b.post_s / a.post_s:.1f}, "
              f"page x{b.page_s / a.page_s:.1f}, match[id] x{b.match_s / a.match_s:.1f}")
    if len(ours) > 1:
        small, large = ours[0], ours[-1]
        for label, s, l_ in (("post", small.post_s / small.size, large.post_s / large.size),
                             ("page", small.page_s / small.paged, large.page_s / large.paged),
                             ("match[id]", small.match_s, large.match_s)):
            print(f"platform {label} throughput at {large.size:,} is {s / l_:.0%} of that "
                  f"at {small.size:,}")
