"""What the KPI area registers when the app is ready: its object types and pages, its API and
the daily "behind target" check."""

from __future__ import annotations


def ready() -> None:
    from celery.schedules import crontab

    from kehu.core.registry import register_api_routes, register_beat_task

    from . import kpi_object_types  # noqa: F401

    register_api_routes("analytics-kpis", "kehu.analytics.kpi_api.register")
    register_beat_task(
        "analytics-kpi-alerts",
        "kehu.analytics.kpi_alerts",
        crontab(hour=7, minute=10),
    )
