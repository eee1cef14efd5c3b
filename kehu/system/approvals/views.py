"""The approvals page (审批): waiting for me, my requests, history; a request's page; approve,
reject (with a comment) and withdraw, in place with HTMX or as plain form posts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import LOGGED_IN, access_rule, record

from . import actions
from .kinds import get_kind
from .models import ApprovalRequest, ApprovalStatus, ApprovalStep

TABS = ("waiting", "mine", "history")
LIMIT = 200


def _rows(qs):
    return qs.select_related("requested_by", "decided_by", "content_type")


def _tab_queryset(user, tab: str):
    visible = ApprovalRequest.objects.visible_to(user)
    if tab == "waiting":
        return visible.waiting_for(user).order_by("created_at", "id")
    if tab == "mine":
        return visible.filter(requested_by=user).order_by("-created_at", "-id")
    history = visible.exclude(status=ApprovalStatus.PENDING)
    if not user.has_perm("system.view_approvalrequest"):
        history = history.filter(
            Q(requested_by=user)
            | Q(
                pk__in=ApprovalStep.objects.filter(approver=user)
                .exclude(decision=ApprovalStep.Decision.SKIPPED)
                .values("request_id")
            )
        )
    return history.order_by("-decided_at", "-id")


def _data_rows(req: ApprovalRequest) -> list[tuple[str, object]]:
    """The request's details as (label, value): the kind's labels for known keys."""
    try:
        labels = get_kind(req.kind).data_labels
    except ValidationError:
        labels = {}
    data = req.data if isinstance(req.data, dict) else {"": req.data}
    return [(str(labels.get(k, k)), v) for k, v in data.items()]


def _decorate(req: ApprovalRequest, user) -> ApprovalRequest:
    req.can_decide = actions.may_decide(req, user)
    req.can_withdraw = actions.may_withdraw(req, user)
    req.data_rows = _data_rows(req)
    req.record_link = actions.record_url(req)
    return req


@access_rule(LOGGED_IN)  # shows only requests the user asked for or must decide
@login_required
def approval_list(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "waiting"
    rows = [_decorate(r, request.user) for r in _rows(_tab_queryset(request.user, tab))[:LIMIT]]
    counts = {
        "waiting": ApprovalRequest.objects.visible_to(request.user)
        .waiting_for(request.user)
        .count(),
        "mine": ApprovalRequest.objects.filter(
            requested_by=request.user, status=ApprovalStatus.PENDING
        ).count(),
    }
    return render(
        request,
        "system/approvals/approval_list.html",
        {"tab": tab, "rows": rows, "counts": counts, "limit": LIMIT},
    )


def _visible(request, pk: int) -> ApprovalRequest:
    return get_object_or_404(_rows(ApprovalRequest.objects.visible_to(request.user)), pk=pk)


@access_rule(record("system.approvalrequest"))
@login_required
def approval_detail(request, pk: int):
    req = _decorate(_visible(request, pk), request.user)
    steps = req.steps.select_related("approver").order_by("step", "id")
    return render(request, "system/approvals/approval_detail.html", {"req": req, "steps": steps})


def _answer(request, req: ApprovalRequest, message: str):
    """HTMX: the request's row again (decided now); otherwise back to the request's page."""
    if getattr(request, "htmx", False):
        req = _decorate(_visible(request, req.pk), request.user)
        return render(
            request,
            "system/approvals/_row.html",
            {"r": req, "tab": request.POST.get("tab", ""), "flash": message},
        )
    messages.success(request, message)
    return redirect("system:approval_detail", pk=req.pk)


def _refused(request, req: ApprovalRequest, exc: ValidationError):
    if getattr(request, "htmx", False):
        req = _decorate(req, request.user)
        return render(
            request,
            "system/approvals/_row.html",
            {"r": req, "tab": request.POST.get("tab", ""), "error": " ".join(exc.messages)},
        )  # 200: HTMX swaps only successful answers, and the row shows the reason
    for message in exc.messages:
        messages.error(request, message)
    return redirect("system:approval_detail", pk=req.pk)


def _decide(request, pk: int, decide, done: str):
    req = _visible(request, pk)
    if not actions.may_decide(req, request.user):
        if req.is_pending:
            raise PermissionDenied
        return _refused(
            request, req, ValidationError(_("This request has already been decided or withdrawn."))
        )
    comment = request.POST.get("comment", "")[:2000]
    try:
        req = decide(request=req, user=request.user, comment=comment)
    except ValidationError as exc:
        return _refused(request, _visible(request, pk), exc)
    return _answer(request, req, done % {"summary": req.summary})


# Only the approvers of the current step (and administrators) decide: others who may see the
# request get 403, those who may not see it 404.
@access_rule(record("system.approvalrequest"))
@login_required
@require_POST
def approval_approve(request, pk: int):
    return _decide(request, pk, actions.approve, _("Approved “%(summary)s”."))


@access_rule(record("system.approvalrequest"))
@login_required
@require_POST
def approval_reject(request, pk: int):
    return _decide(request, pk, actions.reject, _("Rejected “%(summary)s”."))


@access_rule(record("system.approvalrequest"))  # the requester only
@login_required
@require_POST
def approval_withdraw(request, pk: int):
    req = _visible(request, pk)
    if not actions.may_withdraw(req, request.user):
        if req.is_pending:
            raise PermissionDenied
        return _refused(
            request, req, ValidationError(_("This request has already been decided or withdrawn."))
        )
    try:
        req = actions.withdraw(request=req, user=request.user)
    except ValidationError as exc:
        return _refused(request, _visible(request, pk), exc)
    return _answer(request, req, _("Withdrew “%(summary)s”.") % {"summary": req.summary})


urlpatterns = [
    path("approvals/", approval_list, name="approval_list"),
    path("approvals/<int:pk>/", approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/approve/", approval_approve, name="approval_approve"),
    path("approvals/<int:pk>/reject/", approval_reject, name="approval_reject"),
    path("approvals/<int:pk>/withdraw/", approval_withdraw, name="approval_withdraw"),
]
