"""Handover of an employee's customers, contacts and open care tasks to colleagues.

Registered with ``kehu.system.actions.register_handover``: the system's handover page, its API
and the deactivation of a leaving employee all run these. Customers are shared out by the chosen
split (in turn, by customer level, or all to one); contacts and open care tasks follow their
customer's new owner. Every moved record is audited (owner and department diffs).
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count
from django.utils.translation import gettext_lazy

from kehu.core.actions import bulk_update_audited
from kehu.system.actions import HandoverPlan, Split, register_handover
from kehu.system.models import User

from ..models import CareTask, Contact, Customer

__all__ = ["customer_assignment", "default_level_map", "levels_owned"]


def levels_owned(employee: User) -> list[tuple[str, int]]:
    """[(level code, customers)] of the employee's customers, largest first."""
    return list(
        Customer.objects.filter(owner=employee)
        .order_by()
        .values("level")
        .annotate(n=Count("id"))
        .order_by("-n", "level")
        .values_list("level", "n")
    )


def default_level_map(
    levels: list[tuple[str, int]], colleagues: list[User], fixed: dict[str, int] | None = None
) -> dict[str, int]:
    """Whole levels to colleagues: the ``fixed`` choices first, then each remaining level,
    largest first, to the least loaded colleague."""
    fixed = dict(fixed or {})
    sizes = dict(levels)
    load = {c.pk: 0 for c in colleagues}
    for level, pk in fixed.items():
        if pk in load:
            load[pk] += sizes.get(level, 0)
    result = {}
    order = list(load)
    for level, n in sorted(levels, key=lambda item: (-item[1], item[0])):
        if level in fixed:
            result[level] = fixed[level]
            continue
        pk = min(order, key=lambda k: (load[k], order.index(k)))
        result[level] = pk
        load[pk] += n
    return result


def customer_assignment(employee: User, plan: HandoverPlan) -> dict[int, User]:
    """{customer id: new owner} for the employee's customers under ``plan`` (cached on it)."""
    if "customers" in plan.cache:
        return plan.cache["customers"]
    rows = list(Customer.objects.filter(owner=employee).order_by("pk").values_list("pk", "level"))
    if plan.split == Split.BY_LEVEL and plan.colleagues:
        levels = list(Counter(level for _pk, level in rows).items())
        level_map = default_level_map(levels, plan.colleagues, plan.level_map)
        assignment = {pk: plan.colleague(level_map[level]) for pk, level in rows}
    elif plan.colleagues:
        assignment = plan.share_out([pk for pk, _level in rows])
    else:
        assignment = {}
    plan.cache["customers"] = assignment
    return assignment


def _per_colleague(assignment: dict[int, User]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for pk, person in assignment.items():
        groups.setdefault(person.pk, []).append(pk)
    return groups


def _preview_customers(employee: User, plan: HandoverPlan) -> dict[int, int]:
    return {pk: len(ids) for pk, ids in _per_colleague(customer_assignment(employee, plan)).items()}


def _reassign_customers(employee: User, plan: HandoverPlan) -> dict[int, int]:
    assignment = customer_assignment(employee, plan)
    moved = {}
    for pk, ids in _per_colleague(assignment).items():
        person = plan.colleague(pk)
        moved[pk] = bulk_update_audited(
            Customer.objects.filter(pk__in=ids, owner=employee),
            owner=person,
            department=person.department_id,
        )
    return moved


def _following(model, employee: User, plan: HandoverPlan, qs) -> dict[int, int]:
    """Preview for records that follow their customer's new owner."""
    assignment = customer_assignment(employee, plan)
    counts = dict(qs.values("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))
    result: dict[int, int] = {}
    for customer_id, n in counts.items():
        person = assignment.get(customer_id)
        if person is not None:
            result[person.pk] = result.get(person.pk, 0) + n
    return result


def _follow_customers(qs) -> dict[int, int]:
    """Give each record to its customer's current owner (run after the customers moved)."""
    groups = (
        qs.values("customer__owner_id", "customer__department_id")
        .annotate(n=Count("id"))
        .values_list("customer__owner_id", "customer__department_id")
    )
    moved = {}
    for owner_id, department_id in groups:
        moved[owner_id] = bulk_update_audited(
            qs.filter(customer__owner_id=owner_id), owner=owner_id, department=department_id
        )
    return moved


def _contacts(employee: User):
    return Contact.objects.filter(owner=employee)


def _open_care(employee: User):
    return CareTask.objects.filter(owner=employee, status=CareTask.Status.OPEN)


register_handover(
    "customers",
    gettext_lazy("Customers"),
    lambda employee: Customer.objects.filter(owner=employee).count(),
    plan_reassign_fn=_reassign_customers,
    preview_fn=_preview_customers,
    order=10,
)
register_handover(
    "contacts",
    gettext_lazy("Contacts"),
    lambda employee: _contacts(employee).count(),
    plan_reassign_fn=lambda employee, plan: _follow_customers(
        _contacts(employee).exclude(customer__owner=employee)
    ),
    preview_fn=lambda employee, plan: _following(Contact, employee, plan, _contacts(employee)),
    order=20,
)
register_handover(
    "care_tasks",
    gettext_lazy("Open care tasks"),
    lambda employee: _open_care(employee).count(),
    plan_reassign_fn=lambda employee, plan: _follow_customers(
        _open_care(employee).exclude(customer__owner=employee)
    ),
    preview_fn=lambda employee, plan: _following(CareTask, employee, plan, _open_care(employee)),
    order=30,
)
