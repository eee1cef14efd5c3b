"""Daily tasks of orders and collections: due reminders, contract expiry and renewal reminders."""

from celery import shared_task


@shared_task(name="kehu.sales.receivable_reminders", ignore_result=True)
def receivable_reminders() -> int:
    from kehu.sales.actions.collections import due_reminders

    return due_reminders()


@shared_task(name="kehu.sales.contract_renewals", ignore_result=True)
def contract_renewals() -> dict[str, int]:
    from kehu.sales.actions.orders import expire_contracts, renewal_reminders

    return {"expired": expire_contracts(), "reminded": renewal_reminders()}
