"""Who is acting right now: set by the web middleware, the task wrapper and commands.

The audit trail and ``created_by``/``updated_by`` read it, so business code never passes the user
down just to stamp records.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser as User

_current_user: ContextVar[Any] = ContextVar("kehu_current_user", default=None)
_request_id: ContextVar[str | None] = ContextVar("kehu_request_id", default=None)


def get_current_user() -> User | None:
    user = _current_user.get()
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return None


def get_request_id() -> str | None:
    return _request_id.get()


@contextlib.contextmanager
def acting_as(user: User | None, request_id: str | None = None) -> Iterator[None]:
    token = _current_user.set(user)
    rid_token = _request_id.set(request_id or uuid.uuid4().hex[:16])
    try:
        yield
    finally:
        _current_user.reset(token)
        _request_id.reset(rid_token)


def act_as_authenticated(user: User) -> None:
    """Make ``user`` the acting user for the rest of this request: for API authentication that
    happens after the middleware (tokens). The middleware's ``acting_as`` resets it at the end."""
    _current_user.set(user)
