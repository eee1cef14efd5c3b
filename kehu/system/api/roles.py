"""System set-up API: roles."""


def register(router) -> None:
    """Register this area's viewsets on the API router."""
