"""System set-up views: params."""

urlpatterns: list = []
