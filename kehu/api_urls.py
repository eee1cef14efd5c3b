"""The REST API: one router, every registered object type."""

from rest_framework.routers import DefaultRouter

from kehu.customers.api import CustomerViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = router.urls
