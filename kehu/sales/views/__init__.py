"""Sales views, one module per area."""
