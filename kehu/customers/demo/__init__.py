"""Demo data for customers (each module registers its generators)."""

from . import activity, customer, duplicates  # noqa: F401
