"""Object types of the competitors area: competitors (竞争对手), their product prices and
intelligence notes (市场情报). A competitor in a deal is part of the deal (its card and the
opportunity API), not a type of its own."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register
from kehu.core.saving import record_actions

from ..filters.competitors import (
    CompetitorFilterSet,
    CompetitorProductFilterSet,
    IntelligenceNoteFilterSet,
)
from ..forms.competitors import (
    COMPETITOR_FIELDS,
    COMPETITOR_PRODUCT_FIELDS,
    INTELLIGENCE_NOTE_FIELDS,
    CompetitorForm,
    CompetitorProductForm,
    IntelligenceNoteForm,
)
from ..models import Competitor, CompetitorProduct, IntelligenceNote


def _save_competitor(obj, *, user):
    from ..actions.competitors import save_competitor

    return save_competitor(obj, user=user)


def _delete_competitor(*, user, obj):
    from ..actions.competitors import delete_competitor

    delete_competitor(user=user, obj=obj)


def _save_competitor_product(obj, *, user):
    from ..actions.competitors import save_competitor_product

    return save_competitor_product(obj, user=user)


def _save_note(obj, *, user):
    from ..actions.competitors import save_intelligence_note

    return save_intelligence_note(obj, user=user)


def _import_competitors(objs, ctx):
    from ..actions.competitors import save_competitor

    user = getattr(ctx, "user", None)
    for obj in objs:
        save_competitor(obj, user=user)


WIN_LOSS = Page(
    module="sales",
    label=_("Win/loss by competitor"),
    url_name="sales:competitor_winloss",
    perm="sales.view_opportunity",
    icon="bi-bar-chart",
)

COMPETITOR = register(
    ObjectType(
        model=Competitor,
        menu_order=26,
        namespace="sales",
        filterset=CompetitorFilterSet,
        form=CompetitorForm,
        actions=record_actions(
            Competitor,
            _save_competitor,
            delete=_delete_competitor,
            import_create=_import_competitors,
        ),
        columns=["name", "website", "active", "updated_at"],
        sortable=["name"],
        default_sort="name",
        search_fields=["name"],
        export_fields=[*COMPETITOR_FIELDS],
        detail_fields=[*COMPETITOR_FIELDS],
        bulk_fields=["active"],
        list_links=[
            WIN_LOSS,
            Page(
                module="sales",
                label=_("Competitor prices"),
                url_name="sales:competitorproduct_list",
                perm="sales.view_competitorproduct",
                icon="bi-tags",
            ),
            Page(
                module="sales",
                label=_("Intelligence notes"),
                url_name="sales:intelligencenote_list",
                perm="sales.view_intelligencenote",
                icon="bi-journal-text",
            ),
        ],
    )
)

COMPETITOR_PRODUCT = register(
    ObjectType(
        model=CompetitorProduct,
        menu_order=27,
        in_menu=False,
        namespace="sales",
        plural="competitor-products",
        filterset=CompetitorProductFilterSet,
        form=CompetitorProductForm,
        actions=record_actions(CompetitorProduct, _save_competitor_product),
        columns=["competitor", "name", "product", "price", "currency", "price_date"],
        sortable=["name", "price_date"],
        default_sort="-price_date",
        search_fields=[],  # found through their competitor
        export_fields=[*COMPETITOR_PRODUCT_FIELDS],
        detail_fields=[*COMPETITOR_PRODUCT_FIELDS],
        select_related=["competitor", "product"],
        api_select_related=["competitor", "product"],
    )
)

INTELLIGENCE_NOTE = register(
    ObjectType(
        model=IntelligenceNote,
        menu_order=28,
        namespace="sales",
        plural="intelligence-notes",
        filterset=IntelligenceNoteFilterSet,
        form=IntelligenceNoteForm,
        actions=record_actions(IntelligenceNote, _save_note),
        columns=["date", "title", "source", "competitor", "customer", "opportunity", "owner"],
        sortable=["date", "title"],
        default_sort="-date",
        search_fields=["title"],
        export_fields=[*INTELLIGENCE_NOTE_FIELDS, "owner", "department"],
        detail_fields=[*INTELLIGENCE_NOTE_FIELDS, "owner", "department", "created_at"],
        select_related=["competitor", "customer", "opportunity", "owner"],
        api_select_related=["competitor", "customer", "opportunity", "owner", "department"],
    )
)
