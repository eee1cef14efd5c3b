"""System set-up filters: params."""
