"""System set-up views: roles."""

urlpatterns: list = []
