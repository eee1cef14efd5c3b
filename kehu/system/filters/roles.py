"""System set-up filters: roles."""
