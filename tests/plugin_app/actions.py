"""The module's one business rule: a new gadget belongs to whoever creates it."""

from __future__ import annotations

from django.db import transaction

from .models import Gadget


@transaction.atomic
def save_gadget(gadget: Gadget, *, user) -> Gadget:
    if not gadget.owner_id:
        gadget.owner = user
    if not gadget.department_id:
        gadget.department_id = gadget.owner.department_id
    gadget.full_clean()
    gadget.save()
    return gadget
