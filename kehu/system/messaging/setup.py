"""What messaging registers from ``SystemConfig.ready``: its Celery tasks (the worker finds them
through this import; ``kehu.system`` has no ``tasks`` module of its own)."""

from __future__ import annotations


def install() -> None:
    from . import tasks  # noqa: F401
