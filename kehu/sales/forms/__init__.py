"""Sales forms, one module per area."""
