"""Webhook pages: the generic list/add/edit/delete, a detail page with the delivery log and the
signing secret (revealed to the owner on request), and "send test"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, record
from kehu.core.views import ObjectDetailView, object_urls

from . import actions
from .models import WebhookEndpoint
from .object_type import WEBHOOK_ENDPOINT

DELIVERY_LIMIT = 50
LABEL = WEBHOOK_ENDPOINT.label


class WebhookEndpointDetailView(ObjectDetailView):
    def get_template_names(self):
        return ["system/webhooks/webhookendpoint_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        endpoint = ctx["object"]
        ctx["deliveries"] = endpoint.deliveries.order_by("-created_at", "-id")[:DELIVERY_LIMIT]
        ctx["may_see_secret"] = actions.may_see_secret(endpoint, self.request.user)
        return ctx


def _endpoint(request, pk: int) -> WebhookEndpoint:
    """An endpoint the user may change (404 outside their view, 403 without the permission)."""
    endpoint = get_object_or_404(WebhookEndpoint.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm(WEBHOOK_ENDPOINT.perm("change")):
        raise PermissionDenied
    return endpoint


@access_rule(record(LABEL, WEBHOOK_ENDPOINT.perm("change")))
@login_required
@require_POST
def send_test(request, pk: int):
    endpoint = _endpoint(request, pk)
    actions.send_test(endpoint=endpoint, user=request.user)
    messages.success(request, _("A test delivery was queued; its result appears below."))
    return redirect("system:webhookendpoint_detail", pk=endpoint.pk)


@access_rule(record(LABEL, WEBHOOK_ENDPOINT.perm("change")))
@login_required
@require_POST
def reveal_secret(request, pk: int):
    """The secret, for the endpoint's owner only (a POST: it never lands in a URL or history)."""
    endpoint = _endpoint(request, pk)
    if not actions.may_see_secret(endpoint, request.user):
        raise PermissionDenied
    htmx = getattr(request, "htmx", False)
    template = "system/webhooks/_secret.html" if htmx else "system/webhooks/secret.html"
    return render(request, template, {"endpoint": endpoint})


urlpatterns = [
    *[p for p in object_urls(WEBHOOK_ENDPOINT) if p.name != "webhookendpoint_detail"],
    path(
        "webhookendpoints/<int:pk>/",
        WebhookEndpointDetailView.as_view(object_type=WEBHOOK_ENDPOINT),
        name="webhookendpoint_detail",
    ),
    path("webhookendpoints/<int:pk>/test/", send_test, name="webhookendpoint_test"),
    path("webhookendpoints/<int:pk>/secret/", reveal_secret, name="webhookendpoint_secret"),
]
