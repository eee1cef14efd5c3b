"""Departments and employees: the department tree, and employees from hiring to leaving."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.context import get_current_user
from kehu.core.models import AuditLog
from kehu.core.registry import registry

from ..models import Department, EmployeeSkill, Role, User

# --- Departments --------------------------------------------------------------------------------


@transaction.atomic
def create_department(
    *,
    name: str,
    code: str,
    parent: Department | None = None,
    kind: str = Department.Kind.TEAM,
) -> Department:
    dept = Department(name=name, code=code, parent=parent, kind=kind)
    dept.save()
    return dept


@transaction.atomic
def move_department(*, department: Department, new_parent: Department | None) -> Department:
    """Move a department (and its whole subtree) under another parent, or to the top.

    Paths encode the tree, so every department below moves with it in the same transaction:
    data permissions by sub-department keep working the moment the move is committed.
    """
    department = Department.objects.select_for_update().get(pk=department.pk)
    return department.move_to(new_parent)


@transaction.atomic
def rename_department(*, department: Department, name: str) -> Department:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A department needs a name.")})
    department.name = name
    department.save()
    return department


def _deactivation_blockers(department: Department) -> list[str]:
    problems = []
    members = department.members.filter(is_active=True).count()
    if members:
        problems.append(
            _("it still has %(count)s active members; move them to another department first")
            % {"count": members}
        )
    children = department.children.filter(is_active=True).count()
    if children:
        problems.append(
            _("it still has %(count)s active sub-departments; deactivate or move them first")
            % {"count": children}
        )
    return problems


@transaction.atomic
def deactivate_department(*, department: Department) -> Department:
    """Retire a department; refused while people or active sub-departments are still in it."""
    problems = _deactivation_blockers(department)
    if problems:
        raise ValidationError(
            _("%(department)s cannot be deactivated: %(reasons)s.")
            % {"department": department, "reasons": "; ".join(problems)},
            code="in_use",
        )
    department.is_active = False
    department.save()
    return department


@transaction.atomic
def save_department(*, department: Department) -> Department:
    """Create or update from a form or the API: a new parent or code moves the subtree,
    and switching ``is_active`` off follows the deactivation rules."""
    if "/" in (department.code or ""):
        # The code is a segment of the tree path, which "/" separates.
        raise ValidationError({"code": _("A department code cannot contain “/”.")})
    if department._state.adding or department.pk is None:
        department.full_clean(exclude=["path", "depth"])
        department.save()
        return department
    stored = Department.objects.select_for_update().get(pk=department.pk)
    department.check_parent(department.parent if department.parent_id else None)
    if stored.is_active and not department.is_active:
        problems = _deactivation_blockers(stored)
        if problems:
            raise ValidationError(
                _("%(department)s cannot be deactivated: %(reasons)s.")
                % {"department": stored, "reasons": "; ".join(problems)},
                code="in_use",
            )
    department.full_clean(exclude=["parent", "path", "depth"])
    department.save()  # a new parent or code moves the subtree (``TreeNode.save``)
    return department


# --- Employees ----------------------------------------------------------------------------------


@transaction.atomic
def create_employee(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    department: Department | None = None,
    roles: list[Role] | tuple = (),
    manager: User | None = None,
    title: str = "",
    is_superuser: bool = False,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        department=department,
        manager=manager,
        title=title,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password and password.startswith(("pbkdf2_", "argon2", "bcrypt", "md5$")):
        user.password = password  # an already-hashed password (demo data)
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if roles:
        user.roles.add(*roles)
    return user


@transaction.atomic
def save_employee(
    *, employee: User, password: str | None = None, roles: list[Role] | None = None
) -> User:
    """Create or update an employee from a form or the API; a password is validated first.

    Role changes are written to the audit trail (M2M changes bypass ``Model.save``).
    """
    from django.contrib.auth.password_validation import validate_password

    if employee.manager_id and employee.manager_id == employee.pk:
        raise ValidationError({"manager": _("An employee cannot be their own manager.")})
    if password:
        try:
            validate_password(password, employee)
        except ValidationError as exc:
            raise ValidationError({"password1": exc.messages}) from exc
        employee.set_password(password)
    elif employee._state.adding and not employee.password:
        employee.set_unusable_password()
    employee.save()
    if roles is not None:
        old = sorted(employee.roles.values_list("name", flat=True))
        employee.roles.set(roles)
        new = sorted(r.name for r in roles)
        if old != new:
            AuditLog.record(employee, AuditLog.Action.PERMISSION, {"roles": [old, new]})
    return employee


@transaction.atomic
def set_employee_skills(*, employee: User, skills: dict[str, int]) -> User:
    """Replace an employee's skills (name → level 1–5); the change is audited on the employee."""
    clean: dict[str, int] = {}
    for name, level in skills.items():
        name = name.strip()
        if not name:
            continue
        if not 1 <= int(level) <= 5:
            raise ValidationError(_("A skill level is between 1 and 5."))
        clean[name] = int(level)
    old = dict(employee.skills.values_list("skill", "level"))
    if old == clean:
        return employee
    employee.skills.exclude(skill__in=clean).delete()
    for name, level in clean.items():
        EmployeeSkill.objects.update_or_create(user=employee, skill=name, defaults={"level": level})
    AuditLog.record(
        employee,
        AuditLog.Action.UPDATE,
        {"skills": [dict(sorted(old.items())), dict(sorted(clean.items()))]},
    )
    return employee


# --- Handover: what an employee owns goes to colleagues (when leaving, or at any time) -----------


class Split(models.TextChoices):
    """How records are shared out among the receiving colleagues."""

    ROUND_ROBIN = "round_robin", gettext_lazy("In turn (round robin)")
    BY_LEVEL = "by_level", gettext_lazy("By customer level")
    ALL_TO_ONE = "all_to_one", gettext_lazy("All to one colleague")


@dataclass
class HandoverPlan:
    """Who gets what: the colleagues, the split, and (for ``by_level``) level code → colleague id.

    Handovers compute their assignment from it; ``cache`` lets one handover reuse another's
    (contacts and care tasks follow the customers' assignment).
    """

    employee: User
    colleagues: list[User]
    split: str = Split.ROUND_ROBIN
    level_map: dict[str, int] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def share_out(self, keys: list) -> dict[Any, User]:
        """Round robin over the colleagues in order (all to the first for ``all_to_one``)."""
        if self.split == Split.ALL_TO_ONE:
            return dict.fromkeys(keys, self.colleagues[0])
        n = len(self.colleagues)
        return {key: self.colleagues[i % n] for i, key in enumerate(keys)}

    def colleague(self, pk: int) -> User | None:
        return next((c for c in self.colleagues if c.pk == pk), None)


@dataclass(frozen=True)
class Handover:
    """Something an employee owns that must go to colleagues when they leave.

    ``reassign(employee, colleagues) -> int`` is the simple form (records shared out in turn);
    ``plan_reassign(employee, plan) -> {colleague id: records}`` follows the chosen split and
    ``preview(employee, plan) -> {colleague id: records}`` says what it would do, writing nothing.
    """

    name: str
    label: object  # lazy translated text
    count: Callable[[User], int]
    reassign: Callable[[User, list[User]], int] | None = None
    plan_reassign: Callable[[User, HandoverPlan], dict[int, int]] | None = None
    preview: Callable[[User, HandoverPlan], dict[int, int]] | None = None
    order: int = 100


HANDOVERS: dict[str, Handover] = registry.hook("handover")


def register_handover(
    name: str,
    label,
    count_fn: Callable[[User], int],
    reassign_fn: Callable[[User, list[User]], int] | None = None,
    *,
    plan_reassign_fn: Callable[[User, HandoverPlan], dict[int, int]] | None = None,
    preview_fn: Callable[[User, HandoverPlan], dict[int, int]] | None = None,
    order: int = 100,
) -> Handover:
    """Modules register how to count and reassign what an employee owns (lower ``order`` runs
    first: customers before the records that follow them)."""
    if reassign_fn is None and plan_reassign_fn is None:
        raise ValueError("a handover needs reassign_fn or plan_reassign_fn")
    handover = Handover(
        name=name,
        label=label,
        count=count_fn,
        reassign=reassign_fn,
        plan_reassign=plan_reassign_fn,
        preview=preview_fn,
        order=order,
    )
    HANDOVERS[name] = handover
    return handover


@dataclass(frozen=True)
class LevelSplit:
    """The by-level split, provided by the module that owns the levels (customers registers it):
    ``levels_owned(employee) -> [(level code, records)]`` and ``default_map(levels, colleagues,
    fixed) -> {level code: colleague id}`` (the handover page previews it)."""

    levels_owned: Callable[[User], list[tuple[str, int]]]
    default_map: Callable[[list[tuple[str, int]], list[User], dict[str, int] | None], dict]


LEVEL_SPLIT: list[LevelSplit] = []


def register_level_split(
    *,
    levels_owned: Callable[..., list[tuple[str, int]]],
    default_map: Callable[[list[tuple[str, int]], list[User], dict[str, int] | None], dict],
) -> LevelSplit:
    """Set how the by-level split counts and assigns levels (one module provides it)."""
    LEVEL_SPLIT[:] = [LevelSplit(levels_owned=levels_owned, default_map=default_map)]
    return LEVEL_SPLIT[0]


def levels_owned(employee: User, *, user: User | None = None) -> list[tuple[str, int]]:
    """[(level code, records)] the employee owns, largest first (none without a provider);
    with ``user``, only the records that user may see are counted."""
    return LEVEL_SPLIT[0].levels_owned(employee, user=user) if LEVEL_SPLIT else []


def default_level_map(
    levels: list[tuple[str, int]], colleagues: list[User], fixed: dict[str, int] | None = None
) -> dict[str, int]:
    """Whole levels to colleagues, the ``fixed`` choices first (see ``register_level_split``)."""
    return (
        LEVEL_SPLIT[0].default_map(levels, colleagues, fixed) if LEVEL_SPLIT else dict(fixed or {})
    )


def _handovers() -> list[Handover]:
    return sorted(HANDOVERS.values(), key=lambda h: h.order)


def handover_summary(employee: User) -> list[tuple[Handover, int]]:
    return [(h, h.count(employee)) for h in _handovers()]


def check_handover_colleagues(
    *, employee: User, colleagues: list[User], split: str = Split.ROUND_ROBIN, level_map=None
) -> None:
    """Colleagues must be other, active people with a department; the split must fit them."""
    for person in colleagues:
        if person.pk == employee.pk or not person.is_active:
            raise ValidationError(
                {"handover_to": _("Hand over only to other, active colleagues.")}, code="invalid"
            )
        if person.department_id is None:
            raise ValidationError(
                {
                    "handover_to": _("%(person)s has no department and cannot own records.")
                    % {"person": person}
                },
                code="invalid",
            )
    if split not in Split.values:
        raise ValidationError({"split": _("Choose how to share the records out.")})
    if split == Split.ALL_TO_ONE and len(colleagues) > 1:
        raise ValidationError(
            {"handover_to": _("Choose exactly one colleague to receive everything.")},
            code="invalid",
        )
    ids = {c.pk for c in colleagues}
    for pk in (level_map or {}).values():
        if pk not in ids:
            raise ValidationError(
                {"level_map": _("Each level must go to one of the chosen colleagues.")},
                code="invalid",
            )


def plan_handover(
    *,
    employee: User,
    colleagues: list[User],
    split: str = Split.ROUND_ROBIN,
    level_map: dict[str, int] | None = None,
) -> HandoverPlan:
    colleagues = list(colleagues)
    check_handover_colleagues(
        employee=employee, colleagues=colleagues, split=split, level_map=level_map
    )
    return HandoverPlan(
        employee=employee, colleagues=colleagues, split=split, level_map=dict(level_map or {})
    )


def preview_handover(plan: HandoverPlan) -> list[dict[str, Any]]:
    """What the handover would move, per type and per colleague; writes nothing."""
    rows = []
    for handover, count in handover_summary(plan.employee):
        per: dict[int, int] = {}
        if count and plan.colleagues:
            if handover.preview is not None:
                per = handover.preview(plan.employee, plan)
            else:
                n = len(plan.colleagues)
                per = {c.pk: len(range(i, count, n)) for i, c in enumerate(plan.colleagues)}
        rows.append(
            {
                "handover": handover,
                "count": count,
                "per_colleague": [per.get(c.pk, 0) for c in plan.colleagues],
            }
        )
    return rows


def _run_handover(plan: HandoverPlan, *, leaving: bool) -> dict[int, dict[str, int]]:
    """Move everything (inside the caller's transaction) and tell each colleague once."""
    from django.urls import reverse

    from kehu.core.actions import notify

    employee = plan.employee
    received: dict[int, dict[str, int]] = {}
    labels = {}
    for handover, count in handover_summary(employee):
        if not count:
            continue
        labels[handover.name] = handover.label
        if handover.plan_reassign is not None:
            per = handover.plan_reassign(employee, plan)
        else:
            handover.reassign(employee, list(plan.colleagues))
            per = {}
        for pk, n in per.items():
            if n:
                received.setdefault(pk, {})[handover.name] = n
    for person in plan.colleagues:
        got = received.get(person.pk)
        if not got:
            continue
        summary = ", ".join(f"{labels[name]} {n}" for name, n in got.items())
        values = {"employee": employee, "summary": summary}
        notify(
            recipients=[person],
            title=_("Records of %(employee)s are now yours: %(summary)s") % values,
            body=(
                _("%(employee)s has left; their records were handed over to you.")
                if leaving
                else _("The records of %(employee)s were handed over to you.")
            )
            % values,
            link=reverse("customers:customer_list") + f"?owner={person.pk}",
            kind="handover",
        )
    if received:
        AuditLog.record(
            employee,
            AuditLog.Action.UPDATE,
            {
                "handover": [
                    None,
                    {
                        "split": plan.split,
                        "to": {str(plan.colleague(pk) or pk): got for pk, got in received.items()},
                    },
                ]
            },
        )
    return received


@transaction.atomic
def hand_over(
    *,
    employee: User,
    colleagues: list[User],
    split: str = Split.ROUND_ROBIN,
    level_map: dict[str, int] | None = None,
) -> dict[int, dict[str, int]]:
    """Reassign everything ``employee`` owns to colleagues in one step, all or nothing.

    Every record is audited (owner and department diffs keep the previous owner), each
    colleague is notified once with what they received. Returns {colleague id: {type: n}}.
    """
    employee = User.objects.select_for_update().get(pk=employee.pk)
    colleagues = list(colleagues)
    if not colleagues:
        raise ValidationError(
            {"handover_to": _("Choose who takes the records over.")}, code="required"
        )
    plan = plan_handover(employee=employee, colleagues=colleagues, split=split, level_map=level_map)
    if not any(n for _h, n in handover_summary(employee)):
        raise ValidationError(
            _("%(employee)s owns nothing to hand over.") % {"employee": employee}, code="empty"
        )
    return _run_handover(plan, leaving=False)


@transaction.atomic
def deactivate_employee(
    *,
    employee: User,
    left_on: datetime.date,
    handover_to: list[User] | None = None,
    by: User | None = None,
    split: str = Split.ROUND_ROBIN,
    level_map: dict[str, int] | None = None,
) -> User:
    """Mark an employee as left and hand everything they own to active colleagues.

    All or nothing: if a reassignment fails the employee stays active and nothing moves.
    """
    by = by if by is not None else get_current_user()
    if by is not None and by.pk == employee.pk:
        raise ValidationError(_("You cannot deactivate yourself."), code="self")
    employee = User.objects.select_for_update().get(pk=employee.pk)
    if not employee.is_active:
        raise ValidationError(_("%(employee)s has already left.") % {"employee": employee})
    colleagues = list(handover_to or [])
    plan = plan_handover(employee=employee, colleagues=colleagues, split=split, level_map=level_map)
    owned = [(h, n) for h, n in handover_summary(employee) if n]
    if owned and not colleagues:
        raise ValidationError(
            {
                "handover_to": _("%(employee)s still owns records; choose who takes them over.")
                % {"employee": employee}
            },
            code="required",
        )
    employee.is_active = False
    employee.left_on = left_on
    employee.save()
    if owned:
        _run_handover(plan, leaving=True)
    return employee


@transaction.atomic
def reactivate_employee(*, employee: User) -> User:
    employee.is_active = True
    employee.left_on = None
    employee.save()
    return employee


__all__ = [
    "HANDOVERS",
    "Handover",
    "HandoverPlan",
    "Split",
    "check_handover_colleagues",
    "hand_over",
    "plan_handover",
    "preview_handover",
    "create_department",
    "create_employee",
    "default_level_map",
    "levels_owned",
    "deactivate_department",
    "deactivate_employee",
    "handover_summary",
    "move_department",
    "reactivate_employee",
    "register_handover",
    "register_level_split",
    "rename_department",
    "save_department",
    "save_employee",
    "set_employee_skills",
]
