"""Business rules of the sales module, one module per area."""
