"""System set-up filters, one module per area."""
