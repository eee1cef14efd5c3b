"""System set-up forms, one module per area."""
