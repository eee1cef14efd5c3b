from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from celery.schedules import crontab

        from kehu.core.registry import (
            Module,
            register_api_routes,
            register_beat_task,
            register_enum_name,
            register_module,
            register_urls,
        )

        register_module(
            Module("customers", _("Customers"), "bi-people", "customers:index", order=10)
        )
        register_urls("customers", "kehu.customers.urls")
        register_api_routes("customers", "kehu.customers.api.register")
        register_enum_name("LifecycleStageEnum", "kehu.customers.models.customer.LifecycleStage")
        # Reminders every minute; identity resolution over the records changed since the last
        # scan at 02:30; lifecycle stages at night; care tasks (birthdays …) before the day.
        register_beat_task("activity-reminders", "kehu.customers.activity_reminders", 60.0)
        # The managers' team figures: changes every 5 minutes (a full rebuild hourly and when
        # the day changes).
        register_beat_task("customers-team-figures", "kehu.customers.refresh_team_figures", 300.0)
        register_beat_task(
            "promises-due-today",
            "kehu.customers.commitments_due_today",
            crontab(hour=7, minute=30),
        )
        register_beat_task(
            "customers-scan-duplicates",
            "kehu.customers.scan_duplicates_nightly",
            crontab(hour=2, minute=30),
        )
        register_beat_task(
            "customers-lifecycle", "kehu.customers.recompute_lifecycle", crontab(hour=1, minute=30)
        )
        register_beat_task(
            "customers-care", "kehu.customers.generate_care_tasks", crontab(hour=6, minute=0)
        )

        # actions: registers the lifecycle signals and the handover of customers.
        from . import actions, dictionaries, object_types  # noqa: F401
        from .actions.activity import register_activity_erasure, register_activity_handover
        from .dashboard import register_cards

        register_cards()
        register_activity_handover()
        register_activity_erasure()
        from .actions import imports  # noqa: F401  (importers and the vCard export)
