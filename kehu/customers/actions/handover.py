"""Handover of an employee's customers, contacts and open care tasks to colleagues.

Registered with ``kehu.system.actions.register_handover``: the system's handover page, its API
and the deactivation of a leaving employee all run these. Customers are shared out by the chosen
split (in turn, by customer level, or all to one); contacts and open care tasks follow their
customer's new owner. Every moved record is audited (owner and department diffs).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.actions import bulk_update_audited, notify
from kehu.core.context import acting_as, get_request_id
from kehu.core.permissions import SpecialPermission
from kehu.system.access import Access, people_in_scope
from kehu.system.actions import HandoverPlan, Split, register_handover, register_level_split
from kehu.system.models import User

from ..models import Activity, CareTask, Contact, Customer

__all__ = [
    "assignees",
    "check_reassign",
    "customer_assignees",
    "customer_assignment",
    "default_level_map",
    "levels_owned",
    "tell_new_owner",
    "transfer_customers",
]


def assignees(user, model):
    """Active employees ``user`` may make owners of ``model`` records: people whose records
    ``user`` may edit (their edit scope), and anyone but themselves only with the reassign-owner
    permission. The one rule for owner changes by hand (customers, activities, imports)."""
    people = people_in_scope(user, model, Access.EDIT).filter(is_active=True)
    if not user.has_perm(SpecialPermission.REASSIGN_OWNER):
        people = people.filter(pk=user.pk)
    return people.order_by("display_name", "username")


def check_reassign(
    *, user, model, ids: list[int], owner, change_perm: str, not_editable: str, refused: str
) -> None:
    """The one check of every owner change by hand (the record page, the lists' bulk action,
    the API, one record or many): the reassign-owner permission, every record within the
    user's own edit scope — through their roles, not a share, so an edit share never turns into
    ownership — and the new owner among ``assignees``. Raises ``PermissionDenied`` (403) or
    ``ValidationError`` on ``owner`` (400)."""
    if not user.has_perm(SpecialPermission.REASSIGN_OWNER):
        raise PermissionDenied(_("Choosing another owner needs the reassign-owner permission."))
    in_scope = model.objects.editable_by(user, shares=False).filter(pk__in=ids).count()
    if not user.has_perm(change_perm) or in_scope != len(ids):
        raise PermissionDenied(not_editable)
    if owner is None or not assignees(user, model).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": refused}, code="owner")


def tell_new_owner(
    *,
    owner,
    user,
    moved: int,
    first,
    title_one: str,
    title_many: str,
    body: str,
    list_url: str,
    kind: str,
) -> None:
    """One inbox notice for records given by hand: a link to the record, or to the list of
    the new owner's records when there were several; nothing when they gave it to themselves."""
    if not moved or owner.pk == user.pk:
        return
    notify(
        recipients=[owner],
        title=title_one if moved == 1 else title_many,
        body=body,
        link=first.get_absolute_url() if moved == 1 and first else f"{list_url}?owner={owner.pk}",
        kind=kind,
    )


def customer_assignees(user):
    return assignees(user, Customer)


@transaction.atomic
def transfer_customers(*, customers: Iterable[Customer], owner: User | None, user) -> int:
    """Give some customers to a colleague by hand (转移客户: the customer page, the list's bulk
    action, the API), all or nothing. Their contacts, open care tasks and the open activities
    their previous owner had planned on them follow; completed activities keep their owner (the
    history stays as it happened). Every moved record is audited, and the new owner hears of
    it in their inbox. Returns how many customers changed hands."""
    ids = sorted({c.pk for c in customers})
    if not ids:
        return 0
    check_reassign(
        user=user,
        model=Customer,
        ids=ids,
        owner=owner,
        change_perm="customers.change_customer",
        not_editable=_("You may not edit all of these customers."),
        refused=_("You may not give customers to this employee."),
    )
    previous = dict(
        Customer.objects.filter(pk__in=ids).exclude(owner=owner).values_list("pk", "owner_id")
    )
    if not previous:
        return 0
    # one audit batch: the history shows the transfer as one change
    new = {"owner": owner.pk, "department": owner.department_id, "batch": uuid.uuid4().hex}
    with acting_as(user, get_request_id()):
        moved = bulk_update_audited(Customer.objects.filter(pk__in=list(previous)), **new)
        contacts = bulk_update_audited(
            Contact.objects.filter(customer_id__in=list(previous)).exclude(owner=owner), **new
        )
        bulk_update_audited(
            CareTask.objects.filter(
                customer_id__in=list(previous), status=CareTask.Status.OPEN
            ).exclude(owner=owner),
            **new,
        )
        activities = 0
        for old_owner in set(previous.values()):
            mine = [pk for pk, o in previous.items() if o == old_owner]
            activities += bulk_update_audited(
                Activity.objects.filter(
                    customer_id__in=mine, owner_id=old_owner, status=Activity.Status.PLANNED
                ),
                **new,
            )
    first = Customer.objects.filter(pk__in=list(previous)).order_by("pk").first()
    values = {
        "user": user,
        "n": moved,
        "name": first.name if first else "",
        "contacts": contacts,
        "activities": activities,
    }
    tell_new_owner(
        owner=owner,
        user=user,
        moved=moved,
        first=first,
        title_one=_("%(user)s gave you a customer: %(name)s") % values,
        title_many=_("%(user)s gave you %(n)s customers") % values,
        body=_(
            "You are now their owner, with %(contacts)s of their contacts and %(activities)s "
            "open activities (in your activity list)."
        )
        % values,
        list_url=reverse("customers:customer_list"),
        kind="customers_transferred",
    )
    return moved


def levels_owned(employee: User, *, user=None) -> list[tuple[str, int]]:
    """[(level code, customers)] of the employee's customers, largest first; with ``user``,
    only the customers that user may see are counted (the handover page)."""
    customers = Customer.objects.visible_to(user) if user is not None else Customer.objects
    return list(
        customers.filter(owner=employee)
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


register_level_split(levels_owned=levels_owned, default_map=default_level_map)
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
