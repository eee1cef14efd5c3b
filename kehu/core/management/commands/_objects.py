"""What ``kehu import`` and ``kehu export`` share: finding the user and the object type."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from kehu.core.registry import ObjectType, registry


def find_user(username: str):
    """The employee whose permissions the command runs with (active accounts only)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user named {username!r}.")
    return user


def object_type_named(name: str) -> ObjectType:
    """``customers``, ``customer`` or ``customers.customer``."""
    for ot in registry.values():
        if name.lower() in (ot.label, ot.name, ot.plural_name):
            return ot
    names = ", ".join(sorted(ot.plural_name for ot in registry.values()))
    raise CommandError(f"Unknown object type {name!r}; one of: {names}.")
