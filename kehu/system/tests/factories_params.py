"""Test factories: params (see kehu.core.testing.factory)."""
