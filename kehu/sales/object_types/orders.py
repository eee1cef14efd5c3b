"""Object types of orders, contracts, payments, commission rules and targets."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from ..filters.orders import (
    CommissionRuleFilterSet,
    ContractFilterSet,
    PaymentFilterSet,
    SalesOrderFilterSet,
    SalesTargetFilterSet,
)
from ..forms.orders import (
    CommissionRuleForm,
    ContractForm,
    PaymentForm,
    SalesOrderForm,
    SalesTargetForm,
)
from ..models import CommissionRule, Contract, Payment, SalesOrder, SalesTarget


def _save_order(obj: SalesOrder, *, user, lines=None) -> SalesOrder:
    from ..actions.orders import save_order

    return save_order(obj, user=user, lines=lines)


def _delete_order(*, user, obj: SalesOrder) -> None:
    from kehu.core.audit import delete_record

    from ..actions.orders import ensure_editable

    ensure_editable(obj)
    delete_record(obj=obj, user=user)


def _save_contract(obj: Contract, *, user) -> Contract:
    from ..actions.orders import save_contract

    return save_contract(obj, user=user)


def _delete_contract(*, user, obj: Contract) -> None:
    from kehu.core.audit import delete_record

    from ..actions.orders import ensure_contract_editable

    ensure_contract_editable(obj)
    delete_record(obj=obj, user=user)


def _save_payment(obj: Payment, *, user) -> Payment:
    from ..actions.collections import record_payment

    if obj.pk:
        from ..actions.collections import update_payment_details

        return update_payment_details(obj, user=user)
    return record_payment(
        user=user,
        amount=obj.amount,
        paid_on=obj.paid_on,
        order=obj.order if obj.order_id else None,
        contract=obj.contract if obj.contract_id else None,
        instalment=obj.instalment if obj.instalment_id else None,
        currency=obj.currency,
        method=obj.method,
        reference=obj.reference,
        note=obj.note,
    )


def _delete_payment(*, user, obj: Payment) -> None:
    from ..actions.collections import PaymentError

    raise ValidationError(
        _("A payment is never deleted: reverse it instead."), code=PaymentError.NOT_EDITABLE
    )


def _save_rule(obj: CommissionRule, *, user) -> CommissionRule:
    from ..actions.commissions import save_rule

    return save_rule(obj, user=user)


def _save_target(obj: SalesTarget, *, user) -> SalesTarget:
    from ..actions.targets import save_target

    return save_target(obj, user=user)


SALES_ORDER = register(
    ObjectType(
        model=SalesOrder,
        menu_order=50,
        namespace="sales",
        filterset=SalesOrderFilterSet,
        form=SalesOrderForm,
        actions=record_actions(SalesOrder, _save_order, extra=("lines",), delete=_delete_order),
        columns=["number", "customer", "order_date", "status", "total", "currency", "owner"],
        sortable=["number", "order_date", "total", "status"],
        default_sort="-pk",
        search_fields=["number"],
        export_fields=[
            "number",
            "customer",
            "contact",
            "opportunity",
            "quote",
            "contract",
            "order_date",
            "payment_due",
            "status",
            "currency",
            "subtotal",
            "discount_total",
            "tax_total",
            "total",
            "owner",
            "department",
        ],
        select_related=["customer", "owner"],
        api_select_related=["customer", "owner", "department"],
        detail_fields=[
            "number",
            "customer",
            "contact",
            "opportunity",
            "quote",
            "contract",
            "order_date",
            "payment_due",
            "currency",
            "notes",
            "owner",
            "department",
        ],
        plural="sales-orders",
    )
)

CONTRACT = register(
    ObjectType(
        model=Contract,
        menu_order=40,
        namespace="sales",
        filterset=ContractFilterSet,
        form=ContractForm,
        actions=record_actions(Contract, _save_contract, delete=_delete_contract),
        columns=["number", "title", "customer", "status", "start_date", "end_date", "amount"],
        sortable=["number", "title", "end_date", "amount", "status"],
        default_sort="-pk",
        search_fields=["number", "title"],
        export_fields=[
            "number",
            "title",
            "customer",
            "quote",
            "opportunity",
            "status",
            "currency",
            "amount",
            "start_date",
            "end_date",
            "signed_on",
            "terms",
            "owner",
            "department",
        ],
        select_related=["customer", "owner"],
        api_select_related=["customer", "owner", "department"],
        detail_fields=[
            "number",
            "title",
            "customer",
            "quote",
            "opportunity",
            "currency",
            "amount",
            "start_date",
            "end_date",
            "signed_on",
            "terms",
            "owner",
            "department",
        ],
    )
)

PAYMENT = register(
    ObjectType(
        model=Payment,
        menu_order=60,
        namespace="sales",
        filterset=PaymentFilterSet,
        form=PaymentForm,
        actions=record_actions(Payment, _save_payment, delete=_delete_payment),
        deletable=False,
        columns=["number", "customer", "paid_on", "amount", "currency", "order", "contract"],
        sortable=["number", "paid_on", "amount"],
        default_sort="-pk",
        search_fields=["number", "reference"],
        export_fields=[
            "number",
            "customer",
            "order",
            "contract",
            "instalment",
            "paid_on",
            "amount",
            "currency",
            "method",
            "reference",
            "note",
            "reverses",
            "owner",
            "department",
        ],
        select_related=["customer", "order", "contract"],
        api_select_related=["customer", "owner", "department"],
        detail_fields=[
            "number",
            "customer",
            "order",
            "contract",
            "instalment",
            "paid_on",
            "amount",
            "currency",
            "method",
            "reference",
            "note",
            "reverses",
            "owner",
            "department",
        ],
    )
)

COMMISSION_RULE = register(
    ObjectType(
        model=CommissionRule,
        menu_order=70,
        namespace="sales",
        filterset=CommissionRuleFilterSet,
        form=CommissionRuleForm,
        actions=record_actions(CommissionRule, _save_rule),
        columns=["name", "employee", "role", "product", "category", "rate", "tiers", "is_active"],
        plural="commission-rules",
        sortable=["name"],
        default_sort="name",
        search_fields=["name"],
        export_fields=["name", "employee", "role", "product", "category", "rate", "tiers"],
        select_related=["employee", "role", "product", "category"],
        detail_fields=["name", "employee", "role", "product", "category", "rate", "tiers"],
    )
)

SALES_TARGET = register(
    ObjectType(
        model=SalesTarget,
        menu_order=80,
        namespace="sales",
        filterset=SalesTargetFilterSet,
        form=SalesTargetForm,
        actions=record_actions(SalesTarget, _save_target),
        columns=[
            "employee",
            "department",
            "period",
            "year",
            "number",
            "booked_target",
            "collected_target",
        ],
        sortable=[],
        plural="sales-targets",
        default_sort="-pk",
        search_fields=[],
        export_fields=[
            "employee",
            "department",
            "period",
            "year",
            "number",
            "booked_target",
            "collected_target",
        ],
        select_related=["employee", "department"],
        detail_fields=[
            "employee",
            "department",
            "period",
            "year",
            "number",
            "booked_target",
            "collected_target",
        ],
    )
)

for _label, _url, _perm, _icon, _order in (
    (
        gettext_lazy("Convert quotes"),
        "sales:quote_conversions",
        "sales.add_salesorder",
        "bi-arrow-left-right",
        32,
    ),
    (
        gettext_lazy("Receivables ageing"),
        "sales:ageing",
        "sales.view_payment",
        "bi-hourglass-split",
        61,
    ),
    (
        gettext_lazy("Commission statement"),
        "sales:commission_statement",
        "sales.view_commissionrule",
        "bi-percent",
        71,
    ),
    (
        gettext_lazy("Targets and attainment"),
        "sales:targets",
        "sales.view_salestarget",
        "bi-bullseye",
        81,
    ),
):
    register_page(
        Page(module="sales", label=_label, url_name=_url, perm=_perm, icon=_icon, order=_order)
    )
