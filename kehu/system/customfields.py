"""The custom field definitions of every object type, cached like the parameters: a warm read
costs one cache GET of the version and no query; any change bumps the version everywhere."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from kehu.core.customfields import Choice, Definition

from .models import CustomField
from .params import VersionedCache


def to_definition(field: CustomField) -> Definition:
    return Definition(
        id=field.pk,
        object_type=field.object_type,
        code=field.code,
        label_zh=field.label_zh,
        label_en=field.label_en,
        kind=field.kind,
        choices=tuple(
            Choice(
                code=str(c.get("code", "")),
                label_zh=str(c.get("label_zh", "")),
                label_en=str(c.get("label_en", "")),
            )
            for c in (field.choices or [])
            if isinstance(c, dict)
        ),
        required=field.required,
        default=field.default,
        help_text=field.help_text,
        min_value=field.min_value,
        max_value=field.max_value,
        order=field.order,
        is_active=field.is_active,
        show_in_list=field.show_in_list,
        filterable=field.filterable,
        searchable=field.searchable,
    )


def load_definitions() -> dict[str, tuple[Definition, ...]]:
    result: dict[str, list[Definition]] = {}
    for field in CustomField.objects.order_by("object_type", "order", "id"):
        result.setdefault(field.object_type, []).append(to_definition(field))
    return {label: tuple(defs) for label, defs in result.items()}


DEFINITIONS = VersionedCache("customfields", load_definitions)


def get_definitions() -> dict[str, tuple[Definition, ...]]:
    """{object type label: definitions in display order}, active and inactive."""
    return DEFINITIONS.get()


def _invalidate(sender, **kwargs):
    DEFINITIONS.invalidate()


post_save.connect(_invalidate, sender=CustomField, weak=False, dispatch_uid="kehu-cache-cf")
post_delete.connect(_invalidate, sender=CustomField, weak=False, dispatch_uid="kehu-cache-cf-del")
