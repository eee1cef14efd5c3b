"""Customer 360° timeline sources of the sales module, one module per area."""
