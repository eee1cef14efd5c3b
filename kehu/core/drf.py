"""DRF plumbing named in settings (kept apart from the viewsets to avoid an import cycle)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, permissions, status
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .errors import ErrorCode, StaleObjectError


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
        return Response(
            {
                "next": self._link(self.page.next_cursor, "a"),
                "previous": self._link(self.page.prev_cursor, "b"),
                "results": data,
            }
        )


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
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict
            if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}
        )
    return drf_exception_handler(exc, context)
