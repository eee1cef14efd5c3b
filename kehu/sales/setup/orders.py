"""Start-up registrations of orders, contracts, collections, commissions and targets: daily tasks,
the customer timeline source and the customer-page panel."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from celery.schedules import crontab

    from kehu.core.registry import register_beat_task, register_enum_name
    from kehu.customers.timeline import register_customer_panel, register_timeline_source

    from ..actions.orders import register_credit_approval
    from ..views.orders360 import order_entries, sales_panel

    register_credit_approval()

    register_beat_task(
        "sales-receivable-reminders",
        "kehu.sales.receivable_reminders",
        crontab(hour=7, minute=0),
    )
    register_beat_task(
        "sales-contract-renewals", "kehu.sales.contract_renewals", crontab(hour=6, minute=30)
    )
    for name, choices in (
        ("SalesOrderStatusEnum", "kehu.sales.models.orders.SalesOrder.Status"),
        ("ContractStatusEnum", "kehu.sales.models.orders.Contract.Status"),
        ("PaymentMethodEnum", "kehu.sales.models.collections.Payment.Method"),
        ("SalesTargetPeriodEnum", "kehu.sales.models.targets.SalesTarget.Period"),
        ("OrderTransitionEnum", "kehu.sales.api.orders.ORDER_TRANSITIONS"),
        ("SalesApprovalStateEnum", "kehu.sales.models.quotes.APPROVAL_STATES"),
        ("ContractMoveEnum", "kehu.sales.api.orders.CONTRACT_MOVES"),
    ):
        register_enum_name(name, choices)
    register_timeline_source(
        "sales_orders", order_entries, label=_("Orders"), perm="sales.view_salesorder", order=40
    )
    register_customer_panel(
        "sales_orders",
        label=_("Orders and receivables"),
        template="sales/orders/_customer_panel.html",
        context=sales_panel,
        perm="sales.view_salesorder",
        order=30,
    )
