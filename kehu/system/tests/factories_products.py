"""Test factories: products (see kehu.core.testing.factory)."""
