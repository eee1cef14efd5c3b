"""Pages of orders, contracts, collections, commissions and targets (``sales:`` namespace)."""

from django.urls import path

from kehu.core.views import object_urls

from ..object_types.orders import (
    COMMISSION_RULE,
    CONTRACT,
    PAYMENT,
    SALES_ORDER,
    SALES_TARGET,
)
from ..views import orders as views


def _with_detail(object_type, detail_view, add_view=None) -> list:
    """The generic pages, the detail (and add) page replaced by the area's own."""
    n, p = object_type.name, object_type.plural_name
    own = [path(f"{p}/<int:pk>/", detail_view.as_view(object_type=object_type), name=f"{n}_detail")]
    if add_view is not None:
        own.append(path(f"{p}/add/", add_view.as_view(object_type=object_type), name=f"{n}_add"))
    names = {u.name for u in own}
    return [*own, *[u for u in object_urls(object_type) if u.name not in names]]


urlpatterns = [
    *_with_detail(SALES_ORDER, views.SalesOrderDetailView),
    path(
        "sales-orders/<int:pk>/status/<slug:op>/",
        views.order_transition,
        name="salesorder_transition",
    ),
    path("sales-orders/<int:pk>/lines/", views.order_add_line, name="salesorder_add_line"),
    path(
        "sales-orders/<int:pk>/lines/remove/",
        views.order_remove_line,
        name="salesorder_remove_line",
    ),
    *_with_detail(CONTRACT, views.ContractDetailView),
    path("contracts/<int:pk>/plan/", views.contract_plan, name="contract_plan"),
    path(
        "contracts/<int:pk>/status/<slug:op>/",
        views.contract_transition,
        name="contract_transition",
    ),
    *_with_detail(PAYMENT, views.PaymentDetailView, views.PaymentEditView),
    path("payments/<int:pk>/reverse/", views.payment_reverse, name="payment_reverse"),
    *object_urls(COMMISSION_RULE),
    *object_urls(SALES_TARGET),
    path("quote-conversions/", views.quote_conversions, name="quote_conversions"),
    path("quote-conversions/<int:pk>/order/", views.quote_to_order, name="quote_to_order"),
    path("quote-conversions/<int:pk>/contract/", views.quote_to_contract, name="quote_to_contract"),
    path("receivables/ageing/", views.ageing, name="ageing"),
    path("commissions/statement/", views.commission_statement, name="commission_statement"),
    path("targets/", views.targets, name="targets"),
]
