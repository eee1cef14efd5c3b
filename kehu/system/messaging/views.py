"""The recipients' pages, reached from a message without signing in: unsubscribe (a GET
confirmation page; the POST, from that page or a mail client's RFC 8058 one-click, does it), the
open pixel and the click redirect. Every link carries a signed token naming one delivery; a
forged or altered token answers 404, and a click only goes to a URL the message contains."""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kehu.core.access_rules import PUBLIC, access_rule

from . import actions

_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _mask(address: str) -> str:
    """Enough of the address to recognise it, not to harvest it from a forwarded link."""
    local, at, domain = address.partition("@")
    if not at:
        return address[:3] + "•" * max(0, len(address) - 5) + address[-2:]
    return local[:2] + "•" * max(1, len(local) - 2) + "@" + domain


@access_rule(PUBLIC)
@csrf_exempt  # RFC 8058: the mail client posts without a session; the signed token is the key
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    found = actions.delivery_for("unsubscribe", token)
    if found is None:
        raise Http404
    delivery = found[0]
    context = {"address": _mask(delivery.address), "token": token}
    if request.method == "POST":
        actions.unsubscribe(delivery=delivery)
        context["done"] = True
    return render(request, "system/messaging/unsubscribe.html", context)


@access_rule(PUBLIC)
@never_cache
@require_GET
def open_pixel(request, token: str):
    found = actions.delivery_for("open", token)
    if found is not None:
        actions.record_open(delivery=found[0])
    # The same image either way: a probe learns nothing.
    return HttpResponse(_PIXEL, content_type="image/gif")


@access_rule(PUBLIC)
@never_cache
@require_GET
def click(request, token: str):
    found = actions.delivery_for("click", token)
    if found is None:
        raise Http404
    url = actions.record_click(delivery=found[0], link=found[1])
    if url is None:
        raise Http404
    return HttpResponseRedirect(url)


urlpatterns = [
    path("m/u/<str:token>/", unsubscribe, name="messaging_unsubscribe"),
    path("m/o/<str:token>/", open_pixel, name="messaging_open"),
    path("m/c/<str:token>/", click, name="messaging_click"),
]
