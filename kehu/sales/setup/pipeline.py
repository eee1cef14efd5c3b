"""Start-up registrations of the pipeline area: its pages, the daily stalled-deal alerts and the
customer page's deals (timeline entries and a panel)."""

from __future__ import annotations

from celery import shared_task
from django.utils.translation import gettext_lazy as _


@shared_task(name="kehu.sales.stalled_deal_alerts", ignore_result=True)
def stalled_deal_alerts() -> int:
    """Daily: tell each owner once about every deal that has stayed too long in its stage."""
    from kehu.sales.actions.pipeline_alerts import notify_stalled_deals

    return notify_stalled_deals()


def ready() -> None:
    from celery.schedules import crontab

    from kehu.core.registry import Page, register_beat_task, register_enum_name, register_page
    from kehu.customers.timeline import register_customer_panel, register_timeline_source

    from ..actions.pipeline_import import OpportunityImporter
    from ..timeline_pipeline import deal_entries, deals_panel, my_deals_card

    OpportunityImporter.register()

    for label, url_name, perm, icon, order in (
        (_("Kanban board"), "sales:kanban", "sales.view_opportunity", "bi-kanban", 21),
        (_("Sales funnel"), "sales:funnel", "sales.view_opportunity", "bi-funnel", 22),
        (_("Forecast"), "sales:forecast", "sales.view_opportunity", "bi-graph-up", 23),
        (_("Lost reasons"), "sales:lost_reasons", "sales.view_opportunity", "bi-x-octagon", 24),
        (_("Pipelines"), "sales:pipeline_list", "sales.manage_pipelines", "bi-sliders", 90),
    ):
        register_page(
            Page(module="sales", label=label, url_name=url_name, perm=perm, icon=icon, order=order)
        )
    # Stage kinds and deal statuses are the same set (open / won / lost): one schema name.
    register_enum_name("DealOutcomeEnum", "kehu.sales.models.pipeline.Stage.Kind")
    register_beat_task(
        "sales-stalled-deals", "kehu.sales.stalled_deal_alerts", crontab(hour=7, minute=30)
    )
    from kehu.core.registry import DashboardCard, register_dashboard_card

    register_dashboard_card(
        DashboardCard(
            key="my-deals",
            title=_("My open deals"),
            template="sales/pipeline/_dashboard_deals.html",
            context=my_deals_card,
            order=40,
            perm="sales.view_opportunity",
            size="md",
            icon="bi-briefcase",
            link="sales:kanban",
        )
    )
    register_timeline_source(
        "deals", deal_entries, label=_("Deals"), perm="sales.view_opportunity", order=20
    )
    register_customer_panel(
        "deals",
        label=_("Deals"),
        template="sales/pipeline/_customer_panel.html",
        context=deals_panel,
        perm="sales.view_opportunity",
        order=20,
    )
