"""URL patterns of the service module, one module per area; each defines ``urlpatterns``
(collected by kehu/service/urls.py, so areas add files rather than lines to a shared list)."""
