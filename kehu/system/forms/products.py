"""System set-up forms: products."""
