"""The REST API: one router; each app registers its viewsets."""

import kehu.core.api
import kehu.customers.api
import kehu.system.api
from kehu.core.api import Router

router = Router()
kehu.core.api.register(router)
kehu.customers.api.register(router)
kehu.system.api.register(router)

urlpatterns = router.urls
