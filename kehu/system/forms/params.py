"""System set-up forms: params."""
