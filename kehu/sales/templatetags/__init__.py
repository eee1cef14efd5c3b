"""Template tags of the sales module."""
