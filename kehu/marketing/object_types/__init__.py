"""The marketing module's object types: each one declaration (pages, API, export, import,
search, permissions all follow from it)."""

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import each_deleted, record_actions

from ..filters import CampaignFilterSet, MarketingPlanFilterSet, SegmentFilterSet
from ..forms import CAMPAIGN_FORM_FIELDS, CampaignForm, MarketingPlanForm, SegmentForm
from ..models import Campaign, MarketingPlan, Segment

__all__ = ["CAMPAIGN", "MARKETING_PLAN", "SEGMENT"]


def _save_campaign(obj, *, user):
    from ..actions.campaigns import save_campaign

    return save_campaign(obj, user=user)


def _delete_campaign(*, user, obj):
    from ..actions.campaigns import delete_campaign

    delete_campaign(user=user, obj=obj)


def _save_plan(obj, *, user):
    from ..actions.campaigns import save_plan

    return save_plan(obj, user=user)


CAMPAIGN = register(
    ObjectType(
        model=Campaign,
        namespace="marketing",
        filterset=CampaignFilterSet,
        form=CampaignForm,
        actions=record_actions(
            Campaign,
            _save_campaign,
            delete=_delete_campaign,
            bulk_delete=each_deleted(_delete_campaign),
        ),
        columns=[
            "number",
            "name",
            "kind",
            "status",
            "start_date",
            "end_date",
            "budget",
            "actual_cost",
            "owner",
        ],
        sortable=["number", "name", "start_date", "budget"],
        default_sort="-pk",
        search_fields=["name", "number"],
        export_fields=["number", *CAMPAIGN_FORM_FIELDS, "actual_cost", "owner", "department"],
        select_related=["owner"],
        api_select_related=["owner", "department", "plan"],
        detail_fields=[
            "number",
            "kind",
            "channel",
            "status",
            "start_date",
            "end_date",
            "budget",
            "actual_cost",
            "expected_revenue",
            "plan",
            "description",
            "owner",
            "department",
        ],
        menu_order=10,
        plural="campaigns",
    )
)

MARKETING_PLAN = register(
    ObjectType(
        model=MarketingPlan,
        namespace="marketing",
        filterset=MarketingPlanFilterSet,
        form=MarketingPlanForm,
        actions=record_actions(MarketingPlan, _save_plan),
        columns=["name", "start_date", "end_date", "budget", "revenue_goal", "lead_goal", "owner"],
        sortable=["name", "start_date"],
        default_sort="-pk",
        search_fields=["name"],
        export_fields=[
            "name",
            "start_date",
            "end_date",
            "budget",
            "revenue_goal",
            "lead_goal",
            "goal",
            "owner",
            "department",
        ],
        select_related=["owner"],
        api_select_related=["owner", "department"],
        detail_fields=[
            "name",
            "start_date",
            "end_date",
            "budget",
            "revenue_goal",
            "lead_goal",
            "goal",
            "owner",
            "department",
        ],
        menu_order=20,
        plural="marketing-plans",
    )
)


def _save_segment(obj, *, user):
    from ..actions.segments import save_segment

    return save_segment(obj, user=user)


SEGMENT = register(
    ObjectType(
        model=Segment,
        namespace="marketing",
        filterset=SegmentFilterSet,
        form=SegmentForm,
        actions=record_actions(Segment, _save_segment),
        columns=["name", "description", "exclude_unsubscribed", "owner"],
        sortable=["name"],
        default_sort="-pk",
        search_fields=["name"],
        export_fields=["name", "description", "query", "exclude_unsubscribed", "owner"],
        select_related=["owner"],
        api_select_related=["owner", "department", "exclude"],
        detail_fields=["name", "description", "exclude_unsubscribed", "exclude", "owner"],
        menu_order=15,
        plural="segments",
    )
)

register_page(
    Page(
        "marketing",
        _("Campaign ROI"),
        "marketing:roi",
        perm="marketing.view_campaign",
        icon="bi-graph-up-arrow",
        order=30,
    )
)
