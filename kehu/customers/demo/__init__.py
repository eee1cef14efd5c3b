"""Demo data for customers (each module registers its generators)."""

from . import customer, duplicates  # noqa: F401
