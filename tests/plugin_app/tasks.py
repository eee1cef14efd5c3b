from celery import shared_task


@shared_task(name="plugin_app.count_gadgets", ignore_result=True)
def count_gadgets() -> int:
    """A periodic task the module registers in its apps.py (no CELERY_BEAT_SCHEDULE edit)."""
    from .models import Gadget

    return Gadget.objects.count()
