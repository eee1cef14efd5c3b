"""The demo-data framework: each app adds a generator; ``kehu demo`` runs them in order.

Generators are deterministic for a seed, so two runs with the same options give the same company.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    import importlib

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("kehu."):
            try:
                importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
    for _order, name, fn in sorted(GENERATORS, key=lambda g: g[0]):
        ctx.out(f"· {name}")
        fn(ctx)
