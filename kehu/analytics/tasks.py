"""Background work of the analytics module: the nightly refresh of computed attributes."""

from celery import shared_task


@shared_task(name="kehu.analytics.refresh_customer_values", ignore_result=True)
def refresh_customer_values() -> int:
    from kehu.analytics.refresh import refresh_customer_values as refresh

    return refresh()


@shared_task(name="kehu.analytics.kpi_alerts", ignore_result=True)
def kpi_alerts() -> int:
    from kehu.analytics.kpi_alerts import notify_behind

    return notify_behind()
