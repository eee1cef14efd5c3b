"""Sales filters, one module per area."""
