"""Background work of the analytics module: the nightly refresh of computed attributes."""

from celery import shared_task


@shared_task(name="kehu.analytics.refresh_customer_values", ignore_result=True)
def refresh_customer_values() -> int:
    from kehu.analytics.refresh import refresh_customer_values as refresh

    return refresh()


@shared_task(name="kehu.analytics.send_saved_reports", ignore_result=True)
def send_saved_reports() -> int:
    """Hourly: e-mail the saved reports whose day it is (each at most once a day)."""
    from kehu.analytics.reports import send_due_reports

    return send_due_reports()


@shared_task(name="kehu.analytics.kpi_alerts", ignore_result=True)
def kpi_alerts() -> int:
    from kehu.analytics.kpi_alerts import notify_behind

    return notify_behind()
