"""``money``: an amount rounded half up to the quote's amount decimals, grouped by thousands."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from kehu.core.fields import quantize
from kehu.system.params import get_params

register = template.Library()


@register.filter
def money(value) -> str:
    if value in (None, ""):
        return ""
    try:
        places = get_params().quote_amount_decimals
        return f"{quantize(Decimal(value), places):,.{places}f}"
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
