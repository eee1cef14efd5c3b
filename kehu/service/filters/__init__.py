"""FilterSets of the service module, one module per area (one per type for pages, exports and
the API)."""
