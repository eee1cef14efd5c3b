"""Handover (交接) of a leaving employee's open leads: shared out among the colleagues like
their customers (in turn, or all to one); converted and disqualified leads keep their owner
(the history stays as it happened). Every moved lead is audited."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kehu.core.actions import bulk_update_audited
from kehu.system.actions import HandoverPlan, register_handover
from kehu.system.models import User

from ..models.leads import Lead


def _open_leads(employee: User):
    return Lead.objects.filter(owner=employee, status__in=Lead.OPEN_STATUSES)


def lead_assignment(employee: User, plan: HandoverPlan) -> dict[int, User]:
    """{lead id: new owner}: in turn over the colleagues (all to the first for all-to-one)."""
    ids = list(_open_leads(employee).order_by("pk").values_list("pk", flat=True))
    return plan.share_out(ids)


def _per_colleague(assignment: dict[int, User]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for lead_id, person in assignment.items():
        grouped.setdefault(person.pk, []).append(lead_id)
    return grouped


def _preview(employee: User, plan: HandoverPlan) -> dict[int, int]:
    return {pk: len(ids) for pk, ids in _per_colleague(lead_assignment(employee, plan)).items()}


def _reassign(employee: User, plan: HandoverPlan) -> dict[int, int]:
    moved = {}
    for pk, ids in _per_colleague(lead_assignment(employee, plan)).items():
        person = plan.colleague(pk)
        moved[pk] = bulk_update_audited(
            _open_leads(employee).filter(pk__in=ids),
            owner=person,
            department=person.department_id,
        )
    return moved


def register() -> None:
    register_handover(
        "leads",
        gettext_lazy("Open leads"),
        lambda employee: _open_leads(employee).count(),
        plan_reassign_fn=_reassign,
        preview_fn=_preview,
        order=40,
    )
