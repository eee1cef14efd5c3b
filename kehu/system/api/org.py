"""System set-up API: org."""


def register(router) -> None:
    """Register this area's viewsets on the API router."""
