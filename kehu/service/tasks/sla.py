"""The SLA watch: warn agents before a breach, escalate breaches to the manager."""

from celery import shared_task


@shared_task(name="kehu.service.sla_check", ignore_result=True)
def sla_check() -> dict[str, int]:
    from kehu.service.actions.sla import check_sla

    return check_sla()
