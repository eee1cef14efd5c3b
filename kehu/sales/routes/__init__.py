"""URL patterns of the sales module, one module per area; each defines ``urlpatterns``
(collected by kehu/sales/urls.py, so areas add files rather than lines to a shared list)."""
