"""System set-up forms: org."""
