"""System set-up API: params."""


def register(router) -> None:
    """Register this area's viewsets on the API router."""
