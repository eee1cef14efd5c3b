"""System set-up object types: holidays and dictionary entries; the parameter and calendar pages."""

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from .. import params  # noqa: F401 - connects the cache invalidation and registers dictionaries
from ..filters.params import DictionaryItemFilterSet, HolidayFilterSet
from ..forms.params import DictionaryItemForm, HolidayForm
from ..models import DictionaryItem, Holiday


def _save_holiday(obj: Holiday, *, user) -> Holiday:
    from ..actions.params import save_holiday

    return save_holiday(holiday=obj, user=user)


def _save_dictionary_item(obj: DictionaryItem, *, user) -> DictionaryItem:
    from ..actions.params import save_dictionary_item

    return save_dictionary_item(item=obj, user=user)


HOLIDAY = register(
    ObjectType(
        model=Holiday,
        namespace="system",
        filterset=HolidayFilterSet,
        form=HolidayForm,
        actions=record_actions(Holiday, _save_holiday),
        columns=["date", "kind", "name"],
        sortable=["date", "name"],
        default_sort="date",
        search_fields=["name"],
        export_fields=["date", "kind", "name"],
        detail_fields=["date", "kind", "name", "created_at", "updated_at"],
    )
)

DICTIONARY_ITEM = register(
    ObjectType(
        model=DictionaryItem,
        namespace="system",
        filterset=DictionaryItemFilterSet,
        form=DictionaryItemForm,
        actions=record_actions(DictionaryItem, _save_dictionary_item),
        columns=["label_zh", "dictionary", "code", "label_en", "order", "color", "is_active"],
        sortable=["dictionary", "code", "order", "label_zh"],
        default_sort="order",
        search_fields=["label_zh", "label_en", "code"],
        export_fields=["dictionary", "code", "label_zh", "label_en", "order", "color", "is_active"],
        detail_fields=["dictionary", "code", "label_zh", "label_en", "order", "color", "is_active"],
    )
)

register_page(
    Page(
        module="system",
        label=_("System parameters"),
        url_name="system:parameters",
        perm="system.view_systemparameters",
        icon="bi-sliders",
        order=-10,
    )
)
register_page(
    Page(
        module="system",
        label=_("Holiday calendar"),
        url_name="system:holiday_calendar",
        perm="system.view_holiday",
        icon="bi-calendar3",
        order=-5,
    )
)
