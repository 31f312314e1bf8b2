"""Demo data: each app adds its part in its own ``demo`` module with ``@demo_step``.

Every step is idempotent: running ``vrisac demo`` twice gives the same data as once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEMO_PASSWORD = "VR-ISAC-demo-2026!"  # noqa: S105  (demo data only, printed by make run)


@dataclass
class DemoContext:
    """Shared between steps: the people made so far, by key, and a log for the command."""

    people: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def log(self, line: str) -> None:
        self.lines.append(line)


@dataclass(frozen=True)
class DemoStep:
    order: int
    name: str
    func: Callable[[DemoContext], None]


STEPS: list[DemoStep] = []


StepFunction = Callable[[DemoContext], None]


def demo_step(order: int) -> Callable[[StepFunction], StepFunction]:
    def register(func: StepFunction) -> StepFunction:
        name = f"{func.__module__}.{func.__name__}"
        if all(step.name != name for step in STEPS):
            STEPS.append(DemoStep(order, name, func))
        return func

    return register


def load_demo() -> DemoContext:
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    ctx = DemoContext()
    for step in sorted(STEPS, key=lambda s: (s.order, s.name)):
        step.func(ctx)
    return ctx
