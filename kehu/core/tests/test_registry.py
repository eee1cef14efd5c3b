"""The one registry: what apps register in ``AppConfig.ready`` reaches Celery beat, the OpenAPI
enum names, the URLs and the API router, with no per-module line in settings or urls."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from kehu.celery import app
from kehu.core.registry import import_app_modules, registry


def test_beat_schedule_is_the_registered_tasks_and_each_task_exists():
    import_app_modules("tasks")  # what the worker's autodiscovery imports
    assert settings.CELERY_BEAT_SCHEDULE is registry.beat_tasks
    assert (
        set(app.conf.beat_schedule)
        == set(registry.beat_tasks)
        >= {
            "fail-stale-jobs",
            "purge-recycle-bin",
            "customers-care",
        }
    )
    missing = {e["task"] for e in registry.beat_tasks.values()} - set(app.tasks)
    assert not missing, f"beat names tasks that no app defines: {missing}"


def test_enum_names_come_from_the_apps():
    names = settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
    assert names["DataScopeEnum"] == "kehu.core.permissions.DataScope"
    assert "LifecycleStageEnum" in names


def test_every_registered_module_is_served_without_editing_urls_py():
    for key, module in registry.modules.items():
        assert key in registry.urls, f"{key} registers no URL module"
        assert reverse(module.url_name).startswith(f"/{key}/")


def test_api_routes_come_from_every_app():
    from kehu.api_urls import router

    prefixes = {prefix for prefix, _viewset, _basename in router.registry}
    assert {"saved-views", "customers", "users"} <= prefixes
