from django.urls import path
from django.utils.translation import gettext_lazy as _

from kehu.core.access_rules import declare, record
from kehu.core.site_views import module_index

from .approvals import views as approvals
from .messaging import views as messaging
from .views import customfields, handover, org, params, products, roles, tokens
from .webhooks import views as webhooks

app_name = "system"

urlpatterns = [
    path(
        "",
        module_index(
            "system",
            _("System"),
            _("Parameters, departments, employees, roles and permissions, products."),
        ),
        name="index",
    ),
    *params.urlpatterns,
    *org.urlpatterns,
    *handover.urlpatterns,
    *roles.urlpatterns,
    *products.urlpatterns,
    *customfields.urlpatterns,
    *tokens.urlpatterns,
    *approvals.urlpatterns,
    *messaging.urlpatterns,
    *webhooks.urlpatterns,
]

# One view serves one's own tokens and an employee's: the latter is about that employee record.
declare("system:user_tokens", record("system.user"))
