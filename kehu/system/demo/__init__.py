"""Demo data for system set-up: org chart, then products (each module registers generators)."""

from . import calendar, org, products  # noqa: F401
from .org import DEMO_PASSWORD, demo_password_hash, person_name

__all__ = ["DEMO_PASSWORD", "demo_password_hash", "person_name"]
