"""System set-up views: org."""

urlpatterns: list = []
