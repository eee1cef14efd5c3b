"""Test factories: roles (see kehu.core.testing.factory)."""
