"""System set-up forms: roles."""
