"""Sales actions, one module per area."""
