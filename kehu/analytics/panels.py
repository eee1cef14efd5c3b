"""The customer page's value card: the stored RFM segment and ABC tier, and when computed."""

from __future__ import annotations

from .models import CustomerValue
from .rfm import segment_labels


def value_panel(customer, user) -> dict:
    value = CustomerValue.objects.filter(customer_id=customer.pk).first()
    if value is None:
        return {"value": None}
    label, advice = segment_labels()[value.segment]
    return {"value": value, "segment_label": label, "advice": advice}
