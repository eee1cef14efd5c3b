"""System set-up views, one module per area; each module defines ``urlpatterns``."""
