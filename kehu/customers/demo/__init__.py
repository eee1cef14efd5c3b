"""Demo data for customers (each module registers its generators)."""

from . import activity, customer, customfields, duplicates, lifecycle  # noqa: F401
