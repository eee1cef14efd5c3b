"""What the framework reads from the apps above it, named in settings.

``kehu.core`` imports no domain app (the import-linter contracts in ``pyproject.toml``), yet its
restricted querysets need the access policy, its forms the custom-field definitions, its jobs the
system parameters. ``settings.KEHU_PROVIDERS`` names each provider by dotted path; it is resolved
once with ``import_string`` and cached, the way NetBox's restricted queryset reads the permissions
its auth backend cached. A deployment or a test swaps one by overriding the setting.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string


@cache
def provider(name: str) -> Any:
    """The object ``settings.KEHU_PROVIDERS[name]`` names (imported on first use)."""
    return import_string(settings.KEHU_PROVIDERS[name])


def _reset(*, setting: str, **kwargs) -> None:
    if setting == "KEHU_PROVIDERS":
        provider.cache_clear()


setting_changed.connect(_reset, dispatch_uid="kehu-providers-reset")


# --- the access policy --------------------------------------------------------------------------


def get_access(user):
    """The user's evaluated data scopes: ``.condition(model, access)`` is a ``Q``, ``None`` (all)
    or ``False`` (nothing)."""
    return provider("get_access")(user)


def employees_in_scope(user, *args):
    """Employees whose own trail ``user`` reaches (``None``: everyone)."""
    return provider("employees_in_scope")(user, *args)


def people_in_scope(user, model, access):
    """Employees who can own records of ``model`` that ``user`` reaches (filter choices)."""
    return provider("people_in_scope")(user, model, access)


def departments_in_scope(user, model, access):
    """Departments owning records of ``model`` that ``user`` reaches (filter choices)."""
    return provider("departments_in_scope")(user, model, access)


# --- set-up: parameters, dictionaries, custom fields, default data ------------------------------


def get_params():
    """The system parameters (read only: the instance is shared)."""
    return provider("get_params")()


def dictionary_items() -> list[tuple]:
    """Every dictionary entry: (dictionary, code, Chinese, English, active, colour)."""
    return provider("dictionary_items")()


def custom_field_definitions() -> dict[str, tuple]:
    """{object type label: custom-field definitions in display order}, active and inactive."""
    return provider("custom_field_definitions")()


def ensure_setup() -> None:
    """Create what a fresh installation needs (the default roles); idempotent."""
    provider("ensure_setup")()


def setup_is_default(counts: dict[str, int]) -> bool:
    """True when the set-up rows (roles, dictionaries) are only those migrate and ``ensure_setup``
    install; ``counts`` are the rows per model label in the database (backup/restore)."""
    return provider("setup_is_default")(counts)


def demo_password() -> str:
    """The password ``kehu demo`` gives its employees (printed after the run)."""
    return provider("demo_password")
