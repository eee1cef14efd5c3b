"""The Celery application. Tasks live in each app's ``tasks.py`` and take IDs, never objects."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

app = Celery("kehu")


@app.on_configure.connect
def _start(sender=None, **kwargs) -> None:
    """A worker started as ``celery -A kehu`` prepares the data directory like ``kehu worker``:
    just before the configuration (Django's settings) is first read, never at import."""
    from kehu.core.startup import ensure_data_dir

    ensure_data_dir()


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
