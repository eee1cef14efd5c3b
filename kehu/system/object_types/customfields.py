"""System set-up object type: custom field definitions (自定义字段)."""

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from .. import customfields  # noqa: F401 - connects the definitions cache invalidation
from ..filters.customfields import CustomFieldFilterSet
from ..forms.customfields import CustomFieldForm
from ..models import CustomField


def _save_custom_field(obj: CustomField, *, user) -> CustomField:
    from ..actions.customfields import save_custom_field

    obj.order = obj.order or 0
    return save_custom_field(field=obj, user=user)


def _delete_custom_field(*, user, obj: CustomField, clear_values: bool = False) -> int:
    """Refused while records hold values, unless ``clear_values`` confirms clearing them;
    returns the number of records cleared."""
    from ..actions.customfields import delete_custom_field

    return delete_custom_field(field=obj, user=user, clear_values=clear_values)


CUSTOM_FIELD = register(
    ObjectType(
        model=CustomField,
        namespace="system",
        filterset=CustomFieldFilterSet,
        form=CustomFieldForm,
        actions=record_actions(CustomField, _save_custom_field, delete=_delete_custom_field),
        columns=[
            "label_zh",
            "label_en",
            "object_type",
            "code",
            "kind",
            "required",
            "order",
            "is_active",
            "show_in_list",
            "filterable",
            "searchable",
        ],
        sortable=["object_type", "code", "order", "label_zh"],
        default_sort="order",
        search_fields=["label_zh", "label_en", "code"],
        export_fields=CustomFieldForm.Meta.fields,
        detail_fields=[
            "object_type",
            "code",
            "label_zh",
            "label_en",
            "kind",
            "required",
            "help_text",
            "min_value",
            "max_value",
            "order",
            "is_active",
            "show_in_list",
            "filterable",
            "searchable",
        ],
    )
)

register_page(
    Page(
        module="system",
        label=_("Custom field order"),
        url_name="system:customfield_order",
        perm="system.change_customfield",
        icon="bi-sort-numeric-down",
        order=15,
    )
)
