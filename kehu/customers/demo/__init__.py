"""Demo data for customers (each module registers its generators)."""

from . import customer  # noqa: F401
