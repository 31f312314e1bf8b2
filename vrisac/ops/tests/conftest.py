from __future__ import annotations

from typing import Any

import pytest

from vrisac.ops.tests import support  # noqa: F401  (registers the test jobs)


@pytest.fixture
def db_queue(settings: Any) -> None:
    """Queue jobs in the database, for worker processes to take (the suite otherwise runs
    them at once, in-process)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default", "imports", "notifications"]}}
