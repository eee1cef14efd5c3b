"""The customer page's value card: the stored RFM segment and ABC tier, and when computed."""

from __future__ import annotations

import datetime

from django.utils import timezone

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
    for rule in ProductRule.objects.filter(gap_days__isnull=True):
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


def due_offers(customer_id: int) -> list[dict]:
    """What the sequential rules say this customer buys next, and when: for a rule "A, then B
    about N days later", a customer whose last A has not been followed by a B is due for B on
    last A + N days (B may be A itself: consumables bought again). Earliest due first; three
    queries whatever the history."""
    from django.db.models import Max

    from kehu.sales.models.orders import BOOKED_STATUSES, SalesOrderLine
    from kehu.system.models import Product

    last = dict(
        SalesOrderLine.objects.filter(
            order__customer_id=customer_id, order__status__in=BOOKED_STATUSES
        )
        .order_by()
        .values("product_id")
        .annotate(day=Max("order__order_date"))
        .values_list("product_id", "day")
    )
    if not last:
        return []
    best: dict[int, dict] = {}
    for rule in ProductRule.objects.filter(gap_days__isnull=False):
        after = int(rule.antecedent)
        if after not in last:
            continue
        then = rule.consequent_id
        if then != after and then in last and last[then] >= last[after]:
            continue  # already bought since
        due = last[after] + datetime.timedelta(days=round(rule.gap_days))
        current = best.get(then)
        if current is None or rule.confidence * rule.lift > current["score"]:
            best[then] = {
                "product_id": then,
                "after_id": after,
                "due": due,
                "overdue": due <= timezone.localdate(),
                "gap_days": rule.gap_days,
                "confidence": rule.confidence,
                "score": rule.confidence * rule.lift,
            }
    chosen = sorted(best.values(), key=lambda o: (o["due"], -o["score"]))[:OFFERS]
    names = Product.objects.in_bulk(
        {o["product_id"] for o in chosen} | {o["after_id"] for o in chosen}
    )
    return [
        {**o, "product": names[o["product_id"]], "after": names[o["after_id"]]}
        for o in chosen
        if o["product_id"] in names and o["after_id"] in names
    ]


def value_panel(customer, user) -> dict:
    value = CustomerValue.objects.filter(customer_id=customer.pk).first()
    offers = next_best_offers(customer.pk)
    due = due_offers(customer.pk)
    if value is None:
        return {"value": None, "offers": offers, "due_offers": due, "customer_pk": customer.pk}
    label, advice = segment_labels()[value.segment]
    return {
        "value": value,
        "segment_label": label,
        "advice": advice,
        "offers": offers,
        "due_offers": due,
        "customer_pk": customer.pk,
        "churn_reasons": [reason_label(key, *rest[1:]) for key, *rest in value.churn_reasons or ()],
        "need_segment": NeedSegment.objects.filter(number=value.need_segment).first()
        if value.need_segment
        else None,
        "churn_run": ChurnRun.objects.order_by("-computed_at").first()
        if value.churn_risk is not None
        else None,
    }
