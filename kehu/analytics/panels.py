"""The customer page's value card: the stored RFM segment and ABC tier, and when computed."""

from __future__ import annotations

from .churn_crm import reason_label
from .models import ChurnRun, CustomerValue, NeedSegment, ProductRule
from .rfm import segment_labels

OFFERS = 3


def next_best_offers(customer_id: int) -> list[tuple]:
    """Products the customer has not bought that the rules say go with what they bought:
    (product, confidence, lift), strongest confidence × lift first. Three queries whatever
    the customer's history: their products, the rules (at most a few hundred), the names."""
    from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrderLine
    from kehu.system.models import Product

    bought = set(
        SalesOrderLine.objects.filter(
            order__customer_id=customer_id, order__status__in=BOOKED_STATUSES
        )
        .values_list("product_id", flat=True)
        .distinct()
    )
    if not bought:
        return []
    best: dict[int, ProductRule] = {}
    for rule in ProductRule.objects.all():
        if rule.consequent_id in bought or not rule.antecedent_ids() <= bought:
            continue
        score = rule.confidence * rule.lift
        current = best.get(rule.consequent_id)
        if current is None or score > current.confidence * current.lift:
            best[rule.consequent_id] = rule
    chosen = sorted(best.values(), key=lambda r: -r.confidence * r.lift)[:OFFERS]
    names = Product.objects.in_bulk([r.consequent_id for r in chosen])
    return [
        (names[r.consequent_id], r.confidence, r.lift) for r in chosen if r.consequent_id in names
    ]


def value_panel(customer, user) -> dict:
    value = CustomerValue.objects.filter(customer_id=customer.pk).first()
    offers = next_best_offers(customer.pk)
    if value is None:
        return {"value": None, "offers": offers}
    label, advice = segment_labels()[value.segment]
    return {
        "value": value,
        "segment_label": label,
        "advice": advice,
        "offers": offers,
        "churn_reasons": [reason_label(key, *rest[1:]) for key, *rest in value.churn_reasons or ()],
        "need_segment": NeedSegment.objects.filter(number=value.need_segment).first()
        if value.need_segment
        else None,
        "churn_run": ChurnRun.objects.order_by("-computed_at").first()
        if value.churn_risk is not None
        else None,
    }
