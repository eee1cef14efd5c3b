"""The REST API: one router; each app registers its viewsets."""

from rest_framework.routers import DefaultRouter

import kehu.core.api
import kehu.customers.api
import kehu.system.api

router = DefaultRouter()
kehu.core.api.register(router)
kehu.customers.api.register(router)
kehu.system.api.register(router)

urlpatterns = router.urls
