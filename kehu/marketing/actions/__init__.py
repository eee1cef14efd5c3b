"""Marketing actions, one module per area: the only way marketing records are written."""
