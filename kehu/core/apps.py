from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import audit, dbcompat, signals  # noqa: F401
        from .registry import register_api_routes, register_beat_task, register_enum_name

        register_api_routes("core", "kehu.core.api.register")
        register_enum_name("DataScopeEnum", "kehu.core.permissions.DataScope")
        # Deleted records past the recycle-bin retention (system parameter) are hard-deleted;
        # a job claimed by a worker that died is failed after KEHU_JOB_STALE_HOURS.
        register_beat_task("purge-recycle-bin", "kehu.purge_recycle_bin", 24 * 3600)
        register_beat_task("fail-stale-jobs", "kehu.core.fail_stale_jobs", 3600)

        from .dashboard import register_core_cards

        register_core_cards()
        dbcompat.install()
        audit.install()  # QuerySet.update()/bulk_update() on audited models: writer only
        from .search import ensure_search_indexes

        post_migrate.connect(ensure_search_indexes, dispatch_uid="kehu-search-indexes")
        limit_model_dates()


def limit_model_dates() -> None:
    """Every date and datetime field of every Kehu model (any app but Django's own: a module
    plugged in from outside too), present and future, validates the sane range
    (``core.dates``): model forms, serializers built from the model and ``full_clean`` in
    actions all refuse year 1 or 9999. Set on the field instance's ``default_validators``, so
    migrations do not see a change."""
    from django.apps import apps
    from django.db import models

    from .dates import validate_date_range

    for model in apps.get_models():
        if model.__module__.startswith("django."):  # Kehu's models and any module's
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.DateField) and (
                validate_date_range not in field.default_validators
            ):
                field.default_validators = [*field.default_validators, validate_date_range]
                field.__dict__.pop("validators", None)  # a cached_property
