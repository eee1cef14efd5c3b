"""The request page (entitlement, SLA clocks, routing reason, status moves, reassignment) and
the SLA attainment and complaints reports."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, perm, record
from kehu.core.query import int_param
from kehu.core.views import ObjectDetailView

from ..actions import mail, reports, sla
from ..actions import requests as acts
from ..actions.routing import reassign_request
from ..forms.requests import MoveForm, ReassignForm, ReplyForm
from ..models import InboundMessage, ServiceRequest

STATUS_COLOURS = {
    "new": "secondary",
    "assigned": "info",
    "in_progress": "primary",
    "waiting": "warning",
    "resolved": "success",
    "closed": "dark",
}
PRIORITY_COLOURS = {"low": "secondary", "normal": "primary", "high": "warning", "urgent": "danger"}


def _error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _editable(request, pk: int) -> ServiceRequest:
    req = get_object_or_404(ServiceRequest.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("service.change_servicerequest"):
        raise PermissionDenied
    editable = ServiceRequest.objects.editable_by(request.user).filter(pk=pk).exists()
    if not editable and req.agent_id != request.user.pk:
        raise PermissionDenied
    return req


class ServiceRequestDetailView(ObjectDetailView):
    """The request with its entitlement, SLA clocks, routing reason and the moves it allows."""

    def get_template_names(self):
        return ["service/request_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        req = ctx["object"]
        user = self.request.user
        now = timezone.now()
        may_change = user.has_perm("service.change_servicerequest") and (
            req.agent_id == user.pk
            or ServiceRequest.objects.editable_by(user).filter(pk=req.pk).exists()
        )
        ctx["status_colour"] = STATUS_COLOURS.get(req.status, "secondary")
        ctx["priority_colour"] = PRIORITY_COLOURS.get(req.priority, "secondary")
        ctx["moves"] = (
            [(s, ServiceRequest.Status(s).label) for s in acts.MOVES.get(req.status, ())]
            if may_change
            else []
        )
        ctx["can_change"] = ctx["can_change"] and req.status != ServiceRequest.Status.CLOSED
        ctx["move_form"] = MoveForm(initial={"resolution": req.resolution})
        ctx["can_reassign"] = req.is_open and user.has_perm("service.reassign_servicerequest")
        ctx["reassign_form"] = ReassignForm() if ctx["can_reassign"] else None
        ctx["mail_thread"] = mail.mail_thread(req)
        ctx["reply_form"] = (
            ReplyForm(initial=mail.reply_defaults(req))
            if may_change and req.status != ServiceRequest.Status.CLOSED
            else None
        )
        ctx["remaining"] = sla.remaining_minutes(req, now=now)
        ctx["overdue"] = ctx["remaining"] is not None and ctx["remaining"] < 0
        ctx["late_minutes"] = -ctx["remaining"] if ctx["overdue"] else 0
        return ctx


@access_rule(record("service.servicerequest", "service.change_servicerequest"))
@login_required
@require_POST
def request_move(request, pk: int):
    req = _editable(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect(req.get_absolute_url())
    try:
        acts.move_request(
            req,
            form.cleaned_data["status"],
            user=request.user,
            resolution=form.cleaned_data["resolution"],
        )
    except ValidationError as exc:
        _error(request, exc)
    return redirect(req.get_absolute_url())


@access_rule(record("service.servicerequest", "service.change_servicerequest"))
@login_required
@require_POST
def request_mail_reply(request, pk: int):
    """E-mail the customer from the request (its Message-ID kept, so the answer threads)."""
    req = _editable(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(req.get_absolute_url() + "#request-mail")
    try:
        mail.send_reply(request=req, user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The e-mail is sent."))
    return redirect(req.get_absolute_url() + "#request-mail")


@access_rule(record("service.servicerequest", "service.view_servicerequest"))
@login_required
def request_mail_raw(request, pk: int, token):
    """The original of a received e-mail, as a download (never shown as a page)."""
    from django.http import FileResponse

    if not request.user.has_perm("service.view_servicerequest"):
        raise PermissionDenied
    req = get_object_or_404(ServiceRequest.objects.visible_to(request.user), pk=pk)
    inbound = get_object_or_404(
        InboundMessage.objects.select_related("raw"), request=req, raw__token=token
    )
    response = FileResponse(
        inbound.raw.file.open("rb"), as_attachment=True, filename=inbound.raw.name
    )
    response["Content-Type"] = "application/octet-stream"
    return response


@access_rule(record("service.servicerequest", "service.reassign_servicerequest"))
@login_required
@require_POST
def request_reassign(request, pk: int):
    req = get_object_or_404(ServiceRequest.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm("service.reassign_servicerequest"):
        raise PermissionDenied
    form = ReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an agent."))
        return redirect(req.get_absolute_url())
    try:
        reassign_request(
            req, user=request.user, agent=form.cleaned_data["agent"], note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        _error(request, exc)
    return redirect(req.get_absolute_url())


def _year(request) -> int:
    year = int_param(request.GET.get("year"), name="year") or timezone.localdate().year
    return year if 1900 <= year <= 2100 else timezone.localdate().year


@access_rule(perm("service.view_servicerequest"))
@login_required
def sla_report(request):
    if not request.user.has_perm("service.view_servicerequest"):
        raise PermissionDenied
    year = _year(request)
    by = request.GET.get("by", "month")
    by = by if by in reports.GROUPS else "month"
    rows = reports.sla_attainment(request.user, year=year, by=by)
    return render(
        request,
        "service/sla_report.html",
        {
            "rows": rows,
            "chart": reports.attainment_chart(rows),
            "year": year,
            "by": by,
            "groups": [
                ("month", _("Month")),
                ("priority", _("Priority")),
                ("level", _("Service level")),
            ],
            "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
        },
    )


@access_rule(perm("service.view_servicerequest"))
@login_required
def complaints_report(request):
    from ..models._choices import category_choices

    if not request.user.has_perm("service.view_servicerequest"):
        raise PermissionDenied
    year = _year(request)
    months = reports.complaints_by_month(request.user, year=year)
    labels = dict(category_choices())
    used = sorted({c for m in months for c in m.by_category})
    categories = [(c, labels.get(c, c) if c else _("No category")) for c in used]
    for m in months:
        m.cells = [m.by_category.get(c, 0) for c, _label in categories]
    chart = {
        "option": {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": [_("Received"), _("Resolved")]},
            "grid": {"left": 16, "right": 16, "bottom": 8, "top": 40, "containLabel": True},
            "xAxis": {"type": "category", "data": [m.label for m in months]},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [
                {"name": _("Received"), "type": "bar", "data": [m.received for m in months]},
                {"name": _("Resolved"), "type": "bar", "data": [m.resolved for m in months]},
            ],
        }
    }
    return render(
        request,
        "service/complaints_report.html",
        {
            "months": months,
            "categories": categories,
            "chart": chart,
            "year": year,
            "total": sum(m.received for m in months),
            "years": range(timezone.localdate().year, timezone.localdate().year - 5, -1),
            "list_from": datetime.date(year, 1, 1),
        },
    )
