"""System set-up filters: org."""
