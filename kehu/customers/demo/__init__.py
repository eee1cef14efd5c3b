"""Demo data for customers (each module registers its generators)."""

from . import customer, lifecycle  # noqa: F401
