"""Start-up registrations of the competitors area: the win/loss page in the sales navigation,
competitors and intelligence in the marketing module's too (市场情报: by URL name, no import),
the importer of competitors, the schema's enum names and the intelligence notes in the
customer's 360° timeline."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from kehu.core.registry import Page, register_enum_name, register_page

    from ..actions.competitors_import import CompetitorImporter
    from ..timeline.competitors import register as register_timeline

    for page in (
        Page(
            module="sales",
            label=_("Win/loss by competitor"),
            url_name="sales:competitor_winloss",
            perm="sales.view_opportunity",
            icon="bi-bar-chart",
            order=25,
        ),
        Page(
            module="marketing",
            label=_("Competitors"),
            url_name="sales:competitor_list",
            perm="sales.view_competitor",
            icon="bi-people",
            order=60,
        ),
        Page(
            module="marketing",
            label=_("Market intelligence"),
            url_name="sales:intelligencenote_list",
            perm="sales.view_intelligencenote",
            icon="bi-binoculars",
            order=61,
        ),
        Page(
            module="marketing",
            label=_("Win/loss by competitor"),
            url_name="sales:competitor_winloss",
            perm="sales.view_opportunity",
            icon="bi-bar-chart",
            order=62,
        ),
    ):
        register_page(page)
    CompetitorImporter.register()
    models = "kehu.sales.models.competitors"
    register_enum_name("DealCompetitorStatusEnum", f"{models}.DealCompetitor.Status")
    register_enum_name("IntelligenceSourceEnum", f"{models}.IntelligenceNote.Source")
    register_timeline()
