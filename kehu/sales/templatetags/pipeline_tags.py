"""Template filters of the pipeline pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


def format_money(value) -> str:
    """1234567.5 → "1,234,567.50"; whole amounts without decimals ("500,000")."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if amount == amount.to_integral():
        return f"{amount:,.0f}"
    return f"{amount:,.2f}"


@register.filter
def money(value) -> str:
    return format_money(value)
