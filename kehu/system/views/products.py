"""System set-up views: products."""

urlpatterns: list = []
