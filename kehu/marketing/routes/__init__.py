"""URL patterns of the marketing module, one module per area (collected by urls.py)."""
