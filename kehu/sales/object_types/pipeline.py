"""Object types of the pipeline area: pipelines and stages (set-up) and opportunities (商机)."""

from kehu.core.registry import ObjectType, register
from kehu.core.saving import record_actions

from ..filters.pipeline import OpportunityFilterSet, PipelineFilterSet, StageFilterSet
from ..forms.pipeline import OPPORTUNITY_FORM_FIELDS, OpportunityForm, PipelineForm, StageForm
from ..models import Opportunity, Pipeline, Stage

#: Pipelines and stages are set-up: only administrators by default (the role editor grants more).
MANAGE_PIPELINES = "sales.manage_pipelines"


def _save_pipeline(obj, *, user):
    from ..actions.pipeline import save_pipeline

    return save_pipeline(obj, user=user)


def _save_stage(obj, *, user):
    from ..actions.pipeline import save_stage

    return save_stage(obj, user=user)


def _save_opportunity(obj, *, user):
    from ..actions.pipeline import save_opportunity

    return save_opportunity(obj, user=user)


def _delete_opportunity(*, user, obj):
    from ..actions.pipeline import delete_opportunity

    delete_opportunity(user=user, obj=obj)


def _import_opportunities(objs, ctx):
    from ..actions.pipeline import import_create_opportunities

    return import_create_opportunities(objs, ctx)


PIPELINE = register(
    ObjectType(
        model=Pipeline,
        namespace="sales",
        filterset=PipelineFilterSet,
        form=PipelineForm,
        actions=record_actions(Pipeline, _save_pipeline),
        columns=["name", "is_default", "active", "position"],
        sortable=[],
        default_sort="pk",
        search_fields=["name"],
        export_fields=["name", "is_default", "active", "position"],
        detail_fields=["name", "is_default", "active", "position"],
        in_menu=False,
        extra_perms=(MANAGE_PIPELINES,),
    )
)

STAGE = register(
    ObjectType(
        model=Stage,
        namespace="sales",
        filterset=StageFilterSet,
        form=StageForm,
        actions=record_actions(Stage, _save_stage),
        columns=["pipeline", "position", "name", "kind", "probability", "stalled_after_days"],
        sortable=[],
        default_sort="pk",
        search_fields=["name"],
        export_fields=["pipeline", "position", "name", "kind", "probability", "stalled_after_days"],
        select_related=["pipeline"],
        api_select_related=["pipeline"],
        detail_fields=["pipeline", "position", "name", "kind", "probability", "stalled_after_days"],
        in_menu=False,
        extra_perms=(MANAGE_PIPELINES,),
    )
)

OPPORTUNITY = register(
    ObjectType(
        model=Opportunity,
        menu_order=20,
        namespace="sales",
        plural="opportunities",
        filterset=OpportunityFilterSet,
        form=OpportunityForm,
        actions=record_actions(
            Opportunity,
            _save_opportunity,
            delete=_delete_opportunity,
            import_create=_import_opportunities,
        ),
        columns=[
            "number",
            "name",
            "customer",
            "stage",
            "amount",
            "expected_close",
            "status",
            "owner",
            "next_step",
        ],
        sortable=["number", "name", "amount", "expected_close"],
        default_sort="-pk",
        search_fields=["name", "number"],
        export_fields=[
            "number",
            *OPPORTUNITY_FORM_FIELDS,
            "status",
            "stage_changed_at",
            "closed_at",
            "owner",
            "department",
        ],
        select_related=["customer", "stage", "owner"],
        api_select_related=["customer", "stage", "pipeline", "owner", "department", "contact"],
        detail_fields=[
            "number",
            "customer",
            "contact",
            "pipeline",
            "stage",
            "status",
            "amount",
            "currency",
            "probability",
            "expected_close",
            "source",
            "next_step",
            "competitors",
            "lost_reason",
            "description",
            "stage_changed_at",
            "closed_at",
            "owner",
            "department",
        ],
    )
)
