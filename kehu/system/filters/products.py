"""System set-up filters: products."""
