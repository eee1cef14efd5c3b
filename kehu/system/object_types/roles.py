"""System set-up object_types: roles."""
