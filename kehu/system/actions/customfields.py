"""Custom field definitions (自定义字段): create, change, reorder, delete.

Changing a definition never loses data: the code and the kind are fixed once records hold
values, deactivating only hides the field (values are kept), a choice removed from the list
stays on the records that hold it (shown as its code), and a definition whose values are still
on records cannot be deleted — deactivate it instead.
"""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.customfields import CHOICE, MULTICHOICE, definitions_changed, to_python
from kehu.core.registry import find_object_type

from ..models import CustomField

CHOICE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,50}$")

__all__ = [
    "check_custom_field",
    "clear_custom_values",
    "count_custom_values",
    "delete_custom_field",
    "move_custom_field",
    "save_custom_field",
]


def count_custom_values(field: CustomField) -> int:
    """How many records of the field's object type hold a value for it."""
    ot = find_object_type(field.object_type)
    if ot is None:
        return 0
    return ot.model.objects.filter(custom__has_key=field.code).count()


def check_custom_field(field: CustomField) -> None:
    """Valid definition: an opted-in object type, unique choice codes, a default and a range
    that fit the kind, and no change of code or kind once records hold values."""
    from kehu.system.customfields import to_definition

    errors: dict[str, list[str]] = {}
    if field.kind in (CHOICE, MULTICHOICE):
        codes = [str(c.get("code", "")) for c in field.choices or [] if isinstance(c, dict)]
        if not codes:
            errors.setdefault("choices", []).append(_("Enter at least one choice."))
        elif len(set(codes)) != len(codes):
            errors.setdefault("choices", []).append(_("Each choice needs its own code."))
        elif any(not c.get("code") or not c.get("label_zh") for c in field.choices):
            errors.setdefault("choices", []).append(
                _("Each choice needs a code and a Chinese label.")
            )
        elif any(not CHOICE_CODE.match(code) for code in codes):
            errors.setdefault("choices", []).append(
                _(
                    "Choice codes use only letters, digits, hyphens and underscores "
                    "(e.g. trade_show)."
                )
            )
    elif field.choices:
        field.choices = []
    if field.kind != "number":
        field.min_value = field.max_value = None
    elif (
        field.min_value is not None
        and field.max_value is not None
        and field.min_value > field.max_value
    ):
        errors.setdefault("max_value", []).append(
            _("The maximum must not be less than the minimum.")
        )
    if field.default not in (None, "", []) and not errors:
        try:
            field.default = to_python(to_definition(field), field.default)
        except ValidationError as exc:
            errors.setdefault("default", []).extend(exc.messages)
    if field.pk:
        before = (
            CustomField.objects.filter(pk=field.pk).values("object_type", "code", "kind").first()
        )
        if before and (before["object_type"], before["code"]) != (field.object_type, field.code):
            for name in ("object_type", "code"):
                if before[name] != getattr(field, name):
                    errors.setdefault(name, []).append(
                        _("This cannot change once the field exists; add a new field instead.")
                    )
        elif before and before["kind"] != field.kind and count_custom_values(field):
            errors.setdefault("kind", []).append(
                _("Records hold values of this field, so its kind cannot change.")
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_custom_field(*, field: CustomField, user=None) -> CustomField:
    """Create or change a definition; forms, lists and the API see it at once (cache bumped)."""
    if field._state.adding and not field.order:
        last = (
            CustomField.objects.filter(object_type=field.object_type)
            .order_by("-order")
            .values_list("order", flat=True)
            .first()
        )
        field.order = (last or 0) + 10
    field.full_clean(exclude=["created_by", "updated_by"])
    check_custom_field(field)
    field.save()
    _announce(field)
    return field


def _announce(field: CustomField) -> None:
    object_type, code = field.object_type, field.code
    transaction.on_commit(
        lambda: definitions_changed.send(CustomField, object_type=object_type, code=code)
    )


@transaction.atomic
def move_custom_field(*, field: CustomField, up: bool, user=None) -> None:
    """Move a field one place up or down among its object type's fields (renumbers by 10s)."""
    siblings = list(
        CustomField.objects.select_for_update()
        .filter(object_type=field.object_type)
        .order_by("order", "id")
    )
    index = next(i for i, f in enumerate(siblings) if f.pk == field.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.order != position * 10:
            sibling.order = position * 10
            sibling.save(update_fields=["order"])


@transaction.atomic
def clear_custom_values(*, field: CustomField, user=None, chunk_size: int = 2000) -> int:
    """Remove the field's value from every record that holds one: versions bumped, and one
    audit entry per record (``custom.<code>: [old, None]``), all in one batch."""
    from kehu.core.audit import audited_bulk_save
    from kehu.core.context import get_current_user

    ot = find_object_type(field.object_type)
    if ot is None:
        return 0
    model, code = ot.model, field.code
    user = user or get_current_user()
    batch = uuid.uuid4().hex
    ids = list(
        model.objects.filter(custom__has_key=code).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), chunk_size):
        chunk = list(
            model.objects.select_for_update()
            .filter(pk__in=ids[start : start + chunk_size])
            .only("pk", "version", "custom")
        )
        for obj in chunk:
            obj.custom = {k: v for k, v in obj.custom.items() if k != code}
        audited_bulk_save(chunk, ["custom"], batch=batch, user=user)
    return len(ids)


@transaction.atomic
def delete_custom_field(*, field: CustomField, user=None, clear_values: bool = False) -> int:
    """Delete a definition. While records hold values it is refused (deactivate it instead),
    unless ``clear_values`` confirms that those values are to be removed (audited per record).
    Returns the number of records cleared."""
    n = count_custom_values(field)
    if n and clear_values:
        cleared = clear_custom_values(field=field, user=user)
        field.delete()
        _announce(field)
        return cleared
    if n:
        raise ValidationError(
            _(
                "%(count)s records hold a value of “%(field)s”, so it cannot be deleted; "
                "deactivate it instead (the values are kept and hidden)."
            )
            % {"count": n, "field": field.label()}
        )
    field.delete()
    _announce(field)
    return 0
