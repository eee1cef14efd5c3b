"""Customer business rules: views, API, tasks and commands all call these."""

from __future__ import annotations

from functools import lru_cache

from django.db import transaction
from pypinyin import Style, lazy_pinyin

from .models import Customer


@lru_cache(maxsize=65536)
def mnemonic_for(name: str) -> str:
    """Pinyin initials of a name (北京华为 → BJHW); Latin letters and digits are kept."""
    initials = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(ch for ch in "".join(initials) if ch.isalnum()).upper()[:50]


@transaction.atomic
def save_customer(*, customer: Customer, user) -> Customer:
    """Create or update; a new customer is owned by its creator and their department."""
    if not customer.mnemonic:
        customer.mnemonic = mnemonic_for(customer.name)
    if customer._state.adding:
        if not customer.owner_id:
            customer.owner = user
        if not customer.department_id:
            customer.department_id = user.department_id
    customer.full_clean(exclude=["owner", "department"] if customer.department_id is None else None)
    customer.save()
    return customer
