from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)])
                  if not m.name.startswith("_") and m.name != "common")


def main() -> None:
    names = available()
    if len(sys.argv) > 1:
        if sys.argv[1] not in names:
            sys.exit(f"unknown benchmark {sys.argv[1]!r}; available: {', '.join(names)}")
        importlib.import_module(f"bench.{sys.argv[1]}").main(sys.argv[2:])
        return
    for name in names:
        if name == "load":
            continue  # minutes of locust: `python -m bench load` or `make assurance`
        started = time.monotonic()
        print(f"== bench {name}", flush=True)
        importlib.import_module(f"bench.{name}").main([])
        print(f"== bench {name} done in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
