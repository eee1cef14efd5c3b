"""The REST API: one router, every registered object type."""

from rest_framework.routers import DefaultRouter

import kehu.system.api
from kehu.customers.api import CustomerViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
kehu.system.api.register(router)

urlpatterns = router.urls
