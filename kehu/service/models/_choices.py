"""Dictionary-backed choices of the service models: callables, read (cached) when used."""

from kehu.core.fields import dictionary_choices


def _dictionary(code: str) -> list[tuple[str, str]]:
    from django.db import DatabaseError

    from kehu.system.params import dictionary_choices as items

    try:
        return items(code, include_inactive=True)
    except DatabaseError:  # system checks before the first migrate: no dictionary table yet
        return []


@dictionary_choices("service_category")
def category_choices() -> list[tuple[str, str]]:
    return _dictionary("service_category")


@dictionary_choices("service_level")
def level_choices() -> list[tuple[str, str]]:
    return _dictionary("service_level")
