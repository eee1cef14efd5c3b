"""Kehu (客户): an open-source CRM."""

from .celery import app as celery_app

__all__ = ["celery_app"]
__version__ = "0.1.0.dev0"
