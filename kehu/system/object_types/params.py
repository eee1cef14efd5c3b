"""System set-up object_types: params."""
