"""DRF plumbing named in settings (kept apart from the viewsets to avoid an import cycle)."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, permissions, status
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .errors import BadInput, ErrorCode, StaleObjectError

JSON_MAX_DEPTH = 32


class ModelPermission(permissions.DjangoModelPermissions):
    """Functional permissions (部门权限) per model and action; reading needs ``view_<model>``."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


def custom_ordering(request, view) -> str | None:
    """``custom.<code>`` or ``-custom.<code>`` when ``?ordering=`` starts with an active custom
    field of the view's model, else ``None``."""
    from .customfields import definition, is_opted_in

    term = (request.query_params.get("ordering") or "").split(",")[0].strip()
    ot = getattr(view, "object_type", None)
    if not term.lstrip("-").startswith("custom.") or ot is None or not is_opted_in(ot.model):
        return None
    defn = definition(ot.model, term.lstrip("-").removeprefix("custom."))
    if defn is None or not defn.is_active or defn.key in ot.hidden_for(request.user):
        return None
    return term


class CustomFieldOrderingFilter(OrderingFilter):
    """``?ordering=`` over the sortable fields and, on models with custom fields, over
    ``custom.<code>`` (``-custom.<code>``): numbers numerically, dates chronologically, choices
    by label, text alphabetically, empty values last. The pagination orders those itself."""

    ordering_description = gettext_lazy(
        "Sort by a field, “-” first for descending; custom fields as custom.<code> (empty last)."
    )

    def remove_invalid_fields(self, queryset, fields, view, request):
        fields = [f for f in fields if not f.lstrip("-").startswith("custom.")]
        return super().remove_invalid_fields(queryset, fields, view, request)

    def filter_queryset(self, request, queryset, view):
        if custom_ordering(request, view):
            return queryset  # KeysetPagination pages by (empty, value, id)
        return super().filter_queryset(request, queryset, view)


class KeysetPagination(CursorPagination):
    """Cursor pagination: no COUNT(*) and constant cost however deep the page.

    Every ordering pages with the list pages' keyset (``kehu.core.pagination.keyset_page``), so
    the API and the UI share one cursor format and its rules: ties by id, empty values last in
    both directions, and a cursor that is not one of this ordering's (hand-edited, another
    sort's) starts from the first page. ``?cursor=`` is ``a<token>`` (after) or ``b<token>``
    (before); ``?ordering=`` sorts by its first field."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"
    page = None
    total = None
    #: ``?count=1`` adds the list's count (exact up to ``lists.EXACT_COUNT_CAP``, then
    #: PostgreSQL's estimate): opt-in, since most clients page without it.
    count_query_param = "count"

    def sort_for(self, request, queryset, view) -> str:
        """The keyset sort: a custom field, else the first ``?ordering=`` field the view allows,
        else the view's default ordering; ``id`` is the primary key."""
        sort = custom_ordering(request, view) if view is not None else None
        if sort is None:
            terms = self.get_ordering(request, queryset, view)
            sort = terms[0] if terms else self.ordering
        return "-pk" if sort == "-id" else "pk" if sort == "id" else sort

    def paginate_queryset(self, queryset, request, view=None):
        from .pagination import keyset_page

        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        token = request.query_params.get(self.cursor_query_param) or ""
        direction, token = token[:1], token[1:]
        self.total = None
        if request.query_params.get(self.count_query_param) in ("1", "true"):
            from .lists import count_rows

            self.total = count_rows(queryset)
        self.page = keyset_page(
            queryset,
            sort=self.sort_for(request, queryset, view),
            page_size=self.page_size,
            after=token if direction == "a" else None,
            before=token if direction == "b" else None,
            count=False,
        )
        return self.page.rows

    def _link(self, token: str | None, direction: str) -> str | None:
        if token is None:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, direction + token)

    def get_paginated_response(self, data):
        body = {
            "next": self._link(self.page.next_cursor, "a"),
            "previous": self._link(self.page.prev_cursor, "b"),
        }
        if self.total is not None:
            body["count"] = self.total.value
            body["count_kind"] = (
                "exact" if self.total.exact else "estimate" if self.total.estimated else "at_least"
            )
        body["results"] = data
        return Response(body)

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        props = out["properties"]
        results = props.pop("results")
        props["count"] = {
            "type": "integer",
            "description": "With ?count=1 only: how many records the list holds.",
            "example": 1234,
        }
        props["count_kind"] = {
            "type": "string",
            "enum": ["exact", "estimate", "at_least"],
            "description": "With ?count=1 only: whether count is exact, the database's "
            "estimate, or a lower bound.",
        }
        props["results"] = results
        return out

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        params.append(
            {
                "name": self.count_query_param,
                "required": False,
                "in": "query",
                "description": "true (or 1) to include the list's count (exact for small lists, an "
                "estimate for large ones on PostgreSQL).",
                "schema": {"type": "boolean"},
            }
        )
        return params


class SafeJSONParser(JSONParser):
    """JSON bodies, refusing with 400 what would otherwise end in a 500: nesting deeper than
    :data:`JSON_MAX_DEPTH` (10,000 levels exhausted the recursion limit) and NUL characters in
    a string or key (PostgreSQL cannot store them in text or JSON)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            depth_error = True
        else:
            depth_error = False
        if depth_error or not _json_ok(data):
            raise exceptions.ParseError(
                _("The JSON is nested deeper than %(depth)s levels or contains a NUL character.")
                % {"depth": JSON_MAX_DEPTH}
            )
        return data


def _json_ok(data) -> bool:
    """Depth within the cap and no NUL character, walked without recursion."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return False
        elif isinstance(value, dict | list):
            if depth > JSON_MAX_DEPTH:
                return False
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    return False
                stack.append((item, depth + 1))
    return True


class PreconditionRequired(exceptions.APIException):
    """An update without the version it is based on (``version`` or ``If-Match``)."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    """``If-Match`` names a version someone else has moved on from."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = ErrorCode.STALE


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = ErrorCode.STALE


def exception_handler(exc, context):
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, StaleObjectError):
        exc = Conflict(detail={"detail": exc.messages[0], "code": ErrorCode.STALE})
    elif isinstance(exc, ProtectedError):
        exc = Conflict(
            detail={"detail": _("The record is still used by other records."), "code": "protected"}
        )
    elif isinstance(exc, BadInput):
        exc = exceptions.ValidationError(
            detail={exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        )
    elif isinstance(exc, BadRequest):
        exc = exceptions.ParseError()
    elif isinstance(exc, DjangoValidationError) and getattr(exc, "payload", None):
        # an action's refusal that tells more than a message: its code and what it names
        exc = exceptions.ValidationError(
            detail={"detail": exc.messages[0], "code": str(exc.code), **exc.payload}
        )
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict
            if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}
        )
    return drf_exception_handler(exc, context)
