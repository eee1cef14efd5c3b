"""Pages of the marketing module."""
