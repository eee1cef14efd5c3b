from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import dbcompat, signals  # noqa: F401

        dbcompat.install()
        from .search import ensure_search_indexes

        post_migrate.connect(ensure_search_indexes, dispatch_uid="kehu-search-indexes")
