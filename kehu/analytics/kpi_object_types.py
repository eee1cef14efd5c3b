"""Object types of KPI definitions and targets (lists, forms, API, export, audit and the
permission matrix come from the registry)."""

from django.utils.translation import gettext_lazy

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from .kpi_filters import KpiDefinitionFilterSet, KpiTargetFilterSet
from .kpi_forms import KpiDefinitionForm, KpiTargetForm
from .kpi_models import KpiDefinition, KpiTarget


def _save_definition(obj, *, user):
    from .kpi_actions import save_kpi_definition

    return save_kpi_definition(obj, user=user)


def _save_target(obj, *, user):
    from .kpi_actions import save_kpi_target

    return save_kpi_target(obj, user=user)


DEFINITION_FIELDS = [
    "code",
    "name",
    "perspective",
    "measure",
    "unit",
    "direction",
    "weight",
    "position",
    "is_active",
    "description",
]
TARGET_FIELDS = [
    "definition",
    "employee",
    "department",
    "period",
    "year",
    "number",
    "target",
    "actual",
    "note",
]

KPI_DEFINITION = register(
    ObjectType(
        model=KpiDefinition,
        namespace="analytics",
        filterset=KpiDefinitionFilterSet,
        form=KpiDefinitionForm,
        actions=record_actions(KpiDefinition, _save_definition),
        columns=["code", "name", "perspective", "measure", "unit", "direction", "weight"],
        sortable=["code", "name", "perspective", "position"],
        default_sort="position",
        search_fields=["code", "name"],
        export_fields=DEFINITION_FIELDS,
        detail_fields=DEFINITION_FIELDS,
        plural="kpi-definitions",
        menu_order=60,
    )
)

KPI_TARGET = register(
    ObjectType(
        model=KpiTarget,
        namespace="analytics",
        filterset=KpiTargetFilterSet,
        form=KpiTargetForm,
        actions=record_actions(KpiTarget, _save_target),
        columns=["definition", "employee", "department", "period", "year", "number", "target"],
        sortable=["year"],
        default_sort="-pk",
        search_fields=[],
        export_fields=TARGET_FIELDS,
        detail_fields=TARGET_FIELDS,
        select_related=["definition", "employee", "department"],
        api_select_related=["definition", "employee", "department"],
        plural="kpi-targets",
        menu_order=61,
    )
)

register_page(
    Page(
        module="analytics",
        label=gettext_lazy("KPI scorecard"),
        url_name="analytics:kpi_scorecard",
        perm="analytics.view_kpitarget",
        icon="bi-speedometer2",
        order=59,
    )
)
