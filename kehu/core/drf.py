"""DRF plumbing named in settings (kept apart from the viewsets to avoid an import cycle)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import CursorPagination

from .errors import ErrorCode, StaleObjectError


class ModelPermission(permissions.DjangoModelPermissions):
    """Functional permissions (部门权限) per model and action; reading needs ``view_<model>``."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class KeysetPagination(CursorPagination):
    """Cursor pagination: no COUNT(*) and constant cost however deep the page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"


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
