"""Request plumbing: the acting user for audit, a request ID for logs, Chinese as the default."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings

from .context import acting_as

log = logging.getLogger("kehu.request")

#: A request ID a client or proxy may hand us: a plain token that fits the audit trail's column.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")


def request_id(request) -> str:
    """The client's ``X-Request-ID`` when it is a sane token, else a fresh one: the ID lands in
    the audit trail and the logs, so markup, spaces or overlong values never get there."""
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id(request)
        start = time.perf_counter()
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            log.info(
                "request",
                extra={
                    "request_id": request.id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                    "user": getattr(getattr(request, "user", None), "pk", None),
                },
            )
        response["X-Request-ID"] = request.id
        return response


class DefaultLanguageMiddleware:
    """Chinese for a new browser visitor regardless of Accept-Language, until they choose.

    API clients keep Accept-Language: that is how a program asks for its error messages' language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.path.startswith(
            "/api/"
        ):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class CurrentUserMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(request.user, request_id=getattr(request, "id", None)):
            return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in a query or form value (or name) answers 400 before any view runs.

    No field of ours may hold one, and PostgreSQL refuses them in text: ``?q=a%00b`` in search,
    a saved view's ``object_type`` or a custom-field value ended in a 500. JSON bodies are
    checked by the API's parser (``drf.SafeJSONParser``).
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils.translation import gettext as _

        from .errors import BadInput

        sources = [request.GET]
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            sources.append(request.POST)
        for data in sources:
            for key, values in data.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    raise BadInput(_("The request contains a NUL character, which is not allowed."))
        return self.get_response(request)
