"""Customer care pages: the care tasks list (upcoming first), done/skip, and the care card on the
customer page. Everything starts from ``CareTask.objects.visible_to`` (the customer's scope)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, perm, record
from kehu.core.errors import StaleObjectError

from .. import actions
from ..models import CareTask, Customer

__all__ = ["care_close", "care_list", "customer_care"]

VIEW = "customers.view_caretask"
CHANGE = "customers.change_caretask"
PAGE = 200


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _editable_ids(user, tasks) -> set[int]:
    if not user.has_perm(CHANGE):
        return set()
    return set(
        CareTask.objects.editable_by(user)
        .filter(pk__in=[t.pk for t in tasks])
        .values_list("pk", flat=True)
    )


@access_rule(perm(VIEW))
@login_required
def care_list(request):
    """Care tasks the user may see: open ones by due date (overdue first), or by status and kind."""
    _need(request, VIEW)
    status = request.GET.get("status") or CareTask.Status.OPEN
    kind = request.GET.get("kind") or ""
    qs = CareTask.objects.visible_to(request.user).select_related("customer", "contact", "owner")
    if status in CareTask.Status.values:
        qs = qs.filter(status=status)
    if kind in CareTask.Kind.values:
        qs = qs.filter(kind=kind)
    today = timezone.localdate()
    if status == CareTask.Status.OPEN:
        qs = qs.order_by("due_on", "pk")
    else:
        qs = qs.order_by("-due_on", "-pk")
    tasks = list(qs[:PAGE])
    return render(
        request,
        "customers/care/list.html",
        {
            "tasks": tasks,
            "editable": _editable_ids(request.user, tasks),
            "status": status,
            "kind": kind,
            "statuses": CareTask.Status.choices,
            "kinds": CareTask.Kind.choices,
            "today": today,
            "truncated": len(tasks) == PAGE,
        },
    )


@access_rule(record("customers.caretask", CHANGE))
@login_required
@require_POST
def care_close(request, pk: int, op: str):
    """Done or skip one task (HTMX: answers the updated row)."""
    _need(request, CHANGE)
    task = get_object_or_404(
        CareTask.objects.visible_to(request.user).select_related("customer", "contact", "owner"),
        pk=pk,
    )
    if not CareTask.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    fn = {"done": actions.complete_care_task, "skip": actions.skip_care_task}.get(op)
    if fn is None:
        raise PermissionDenied
    error = ""
    version = request.POST.get("version")
    try:
        task = fn(
            task=task,
            user=request.user,
            note=request.POST.get("note", ""),
            version=int(version) if (version or "").isdigit() else None,
        )
    except (ValidationError, StaleObjectError) as exc:
        error = " ".join(exc.messages)
        task.refresh_from_db()
    return render(
        request,
        "customers/care/_row.html",
        {"task": task, "editable": {task.pk}, "error": error, "today": timezone.localdate()},
    )


@access_rule(record("customers.customer"))
@login_required
def customer_care(request, pk: int):
    """The care card of a customer page (HTMX): its upcoming and recent care tasks."""
    _need(request, VIEW)
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    tasks = list(
        CareTask.objects.visible_to(request.user)
        .filter(customer=customer)
        .select_related("contact")
        .order_by("-due_on", "-pk")[:10]
    )
    return render(
        request,
        "customers/care/_card.html",
        {"customer": customer, "tasks": tasks, "today": timezone.localdate()},
    )
