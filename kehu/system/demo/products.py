"""Demo product catalogue (see kehu.core.demo)."""
