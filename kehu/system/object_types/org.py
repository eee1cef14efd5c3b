"""System set-up object_types: org."""
