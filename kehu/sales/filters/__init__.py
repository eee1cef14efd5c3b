"""Filters of the sales lists, one module per area."""
