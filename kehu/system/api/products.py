"""System set-up API: products."""


def register(router) -> None:
    """Register this area's viewsets on the API router."""
