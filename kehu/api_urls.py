"""The REST API: one router; each app registers its viewsets (``register_api_routes`` in its
``AppConfig.ready``), so adding a module edits nothing here."""

from django.utils.module_loading import import_string
from rest_framework.routers import DefaultRouter

from kehu.core.registry import registry

router = DefaultRouter()
for register in registry.api_routes.values():
    (import_string(register) if isinstance(register, str) else register)(router)

urlpatterns = router.urls
