"""The demo-data framework: each app adds a generator; ``kehu demo`` runs them in order.

Generators are deterministic for a seed, so two runs with the same options give the same company.
Each generator runs in a transaction of its own: a step that fails leaves nothing behind, so the
next ``kehu demo`` finds it missing and runs it again (every generator skips itself when its data
exists). A demo is therefore complete or resumable, never silently half-filled.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

GENERATORS: list[tuple[int, str, Callable[[DemoContext], None]]] = []


@dataclass
class DemoContext:
    seed: int
    customers: int
    employees: int
    out: Callable[[str], None] = print
    rng: random.Random = field(init=False)
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


def generator(order: int, name: str):
    def decorator(fn: Callable[[DemoContext], None]):
        GENERATORS.append((order, name, fn))
        return fn

    return decorator


def run_generators(ctx: DemoContext) -> None:
    from .registry import import_app_modules

    import_app_modules("demo")
    for _order, name, fn in sorted(GENERATORS, key=lambda g: g[0]):
        ctx.out(f"· {name}")
        with transaction.atomic():
            fn(ctx)
