"""docs/operations.md lists every environment variable the platform reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READ = re.compile(
    r"""env\.(?:get|require|get_bool|get_int|get_list)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_every_environment_variable_is_documented() -> None:
    read: set[str] = set()
    for path in [*(ROOT / "config").rglob("*.py"), *(ROOT / "vrisac").rglob("*.py")]:
        if "/tests/" not in str(path):
            read.update(READ.findall(path.read_text()))
    read.update({"VRISAC_ENV", "VRISAC_DATA_DIR", "VRISAC_BACKUP_DIR"})  # config/env.py helpers
    assert len(read) > 30
    guide = (ROOT / "docs" / "operations.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", guide, re.M))
    assert sorted(read - documented) == []
