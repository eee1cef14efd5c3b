"""System set-up object type: custom field definitions (自定义字段)."""

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register, register_page

from .. import customfields  # noqa: F401 - connects the definitions cache invalidation
from ..filters.customfields import CustomFieldFilterSet
from ..forms.customfields import CustomFieldForm
from ..models import CustomField

CUSTOM_FIELD = register(
    ObjectType(
        model=CustomField,
        namespace="system",
        filterset=CustomFieldFilterSet,
        form=CustomFieldForm,
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
