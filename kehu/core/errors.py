"""Error codes shared by actions, views and the API (Saleor-style enums, not bare strings)."""

from enum import StrEnum

from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext_lazy as _


class ErrorCode(StrEnum):
    STALE = "stale"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    INVALID = "invalid"
    TOO_LARGE = "too_large"
    LOCKED = "locked"


class StaleObjectError(ValidationError):
    """Someone else saved the record after it was loaded: refuse instead of overwriting."""

    def __init__(self, obj=None):
        super().__init__(
            _(
                "This record was changed by someone else after you opened it. "
                "Reload it to see their changes, then apply yours again."
            ),
            code=ErrorCode.STALE,
        )
        self.obj = obj


class BadInput(BadRequest):
    """A request parameter that cannot be understood: 400 with ``message`` (already translated),
    as a page (``site_views.bad_request``) or as JSON in the API (``drf.exception_handler``)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
