from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .actions import unread_count

NAV = [
    ("customers", _("Customers"), "bi-people", "customers:index"),
    ("marketing", _("Marketing"), "bi-megaphone", "marketing:index"),
    ("sales", _("Sales"), "bi-graph-up-arrow", "sales:index"),
    ("service", _("Service"), "bi-headset", "service:index"),
    ("analytics", _("Analytics"), "bi-bar-chart", "analytics:index"),
    ("system", _("System"), "bi-gear", "system:index"),
]


def shell(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    current = request.resolver_match.namespace if request.resolver_match else ""
    return {
        "nav": [
            {"key": k, "label": label, "icon": icon, "url": reverse(url), "active": k == current}
            for k, label, icon, url in NAV
        ],
        "unread_count": unread_count(user),
    }
