"""Pages of the sales module, one module per area."""
