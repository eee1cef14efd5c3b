"""System set-up object_types: products."""
