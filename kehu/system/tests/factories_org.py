"""Test factories: org (see kehu.core.testing.factory)."""
