"""Error codes shared by actions, views and the API (Saleor-style enums, not bare strings)."""

from enum import StrEnum

from django.core.exceptions import ValidationError
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
