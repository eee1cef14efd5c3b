"""Pages of orders, contracts, payments, quote conversion, receivables ageing, commission
statements and targets (the generic list/edit pages come from the registry)."""

from __future__ import annotations

import csv
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, perm, record
from kehu.core.export import safe_cell
from kehu.core.fields import quantize
from kehu.core.permissions import Access
from kehu.core.query import date_param, int_param
from kehu.core.views import ObjectDetailView, ObjectEditView
from kehu.system.params import get_params

from ..actions import collections as coll
from ..actions import commissions as comm
from ..actions import orders as acts
from ..actions import targets as tgt
from ..forms.orders import AddLineForm, PaymentPlanForm
from ..models import Contract, Payment, Quote, SalesOrder, SalesOrderLine

STATUS_COLOURS = {
    "draft": "secondary",
    "confirmed": "primary",
    "shipped": "info",
    "delivered": "warning",
    "completed": "success",
    "cancelled": "dark",
    "active": "success",
    "expired": "secondary",
    "terminated": "dark",
}
TRANSITION_ICONS = {
    "confirmed": "bi-check2-circle",
    "shipped": "bi-truck",
    "delivered": "bi-box-seam",
    "completed": "bi-flag",
    "cancelled": "bi-x-circle",
}


def _error(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _editable_order(request, pk: int) -> SalesOrder:
    order = get_object_or_404(SalesOrder.objects.visible_to(request.user), pk=pk)
    if not SalesOrder.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return order


class SalesOrderDetailView(ObjectDetailView):
    """The order with its lines, totals, payments and tracking timeline."""

    def get_template_names(self):
        return ["sales/orders/order_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        order = ctx["object"]
        user = self.request.user
        editable = SalesOrder.objects.editable_by(user).filter(pk=order.pk).exists()
        ctx["status_colour"] = STATUS_COLOURS.get(order.status, "secondary")
        ctx["lines"] = list(order.lines.select_related("product"))
        ctx["events"] = list(order.events.select_related("actor").order_by("at", "id"))
        ctx["can_change"] = ctx["can_change"] and editable and order.is_editable
        ctx["can_delete"] = ctx["can_delete"] and editable and order.is_editable
        ctx["transitions"] = (
            [
                (s, SalesOrder.Status(s).label, TRANSITION_ICONS.get(s, ""))
                for s in acts.next_statuses(order)
            ]
            if editable and user.has_perm("sales.change_salesorder")
            else []
        )
        ctx["line_form"] = AddLineForm() if ctx["can_change"] else None
        ctx["payments"] = list(Payment.objects.visible_to(user).filter(order=order))
        ctx["paid"] = coll.paid_on_order(order)
        ctx["open"] = order.total - ctx["paid"] if order.books_receivable else None
        ctx["can_pay"] = (
            user.has_perm("sales.add_payment")
            and order.books_receivable
            and not order.contract_id
            and ctx["open"] > 0
        )
        if order.status == SalesOrder.Status.DRAFT:
            from kehu.system.approvals import pending_approval
            from kehu.system.approvals.actions import request_url

            ctx["credit"] = acts.credit_check(order)
            pending = pending_approval(order)
            if pending is not None:
                ctx["approval_url"] = request_url(pending)
                ctx["transitions"] = []  # locked until the request is decided
                ctx["can_change"] = ctx["can_delete"] = False
                ctx["line_form"] = None
        ctx["places"] = get_params().order_amount_decimals
        return ctx


@access_rule(record("sales.salesorder", "sales.change_salesorder"))
@login_required
@require_POST
def order_transition(request, pk: int, op: str):
    status = op
    if not request.user.has_perm("sales.change_salesorder"):
        raise PermissionDenied
    order = _editable_order(request, pk)
    try:
        order = acts.move_order(
            order, status, user=request.user, note=request.POST.get("note", "")[:300]
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        if order.credit_approval == "pending" and order.status == SalesOrder.Status.DRAFT:
            messages.warning(
                request,
                _(
                    "Order %(number)s would take the customer over the credit limit: it was "
                    "sent for approval and is confirmed once approved."
                )
                % {"number": order.number},
            )
            return redirect(order.get_absolute_url())
        messages.success(
            request,
            _("Order %(number)s is now %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
        )
    return redirect(order.get_absolute_url())


@access_rule(record("sales.salesorder", "sales.change_salesorder"))
@login_required
@require_POST
def order_add_line(request, pk: int):
    if not request.user.has_perm("sales.change_salesorder"):
        raise PermissionDenied
    order = _editable_order(request, pk)
    form = AddLineForm(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        data.setdefault("description", "")
        try:
            acts.add_order_line(order, user=request.user, **data)
        except ValidationError as exc:
            _error(request, exc)
    else:
        messages.error(
            request,
            " ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items()),
        )
    return redirect(order.get_absolute_url())


@access_rule(record("sales.salesorder", "sales.change_salesorder"))
@login_required
@require_POST
def order_remove_line(request, pk: int):
    if not request.user.has_perm("sales.change_salesorder"):
        raise PermissionDenied
    order = _editable_order(request, pk)
    obj = get_object_or_404(
        SalesOrderLine, pk=int_param(request.POST.get("line"), name="line") or 0, order=order
    )
    try:
        acts.remove_order_line(obj, user=request.user)
    except ValidationError as exc:
        _error(request, exc)
    return redirect(order.get_absolute_url())


# --- Contracts ----------------------------------------------------------------------------------


class ContractDetailView(ObjectDetailView):
    def get_template_names(self):
        return ["sales/orders/contract_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        contract = ctx["object"]
        user = self.request.user
        editable = Contract.objects.editable_by(user).filter(pk=contract.pk).exists()
        draft = contract.status == Contract.Status.DRAFT
        ctx["status_colour"] = STATUS_COLOURS.get(contract.status, "secondary")
        ctx["can_change"] = ctx["can_change"] and editable and draft
        ctx["can_delete"] = ctx["can_delete"] and editable and draft
        ctx["can_move"] = editable and user.has_perm("sales.change_contract")
        instalments = list(
            coll.instalment_receivables(contract.instalments.all()).order_by("due_date", "id")
        )
        for inst in instalments:
            inst.open = inst.amount_due - inst.paid
        ctx["instalments"] = instalments
        ctx["plan_form"] = (
            PaymentPlanForm(
                initial={
                    "plan": "\n".join(f"{i.due_date:%Y-%m-%d} {i.amount:f}" for i in instalments)
                }
            )
            if ctx["can_change"]
            else None
        )
        ctx["payments"] = list(Payment.objects.visible_to(user).filter(contract=contract))
        ctx["paid"] = coll.paid_on_contract(contract)
        ctx["open"] = contract.amount - ctx["paid"]
        ctx["orders"] = list(SalesOrder.objects.visible_to(user).filter(contract=contract))
        ctx["can_pay"] = (
            user.has_perm("sales.add_payment")
            and contract.status in ("active", "expired")
            and ctx["open"] > 0
        )
        return ctx


def _editable_contract(request, pk: int) -> Contract:
    if not request.user.has_perm("sales.change_contract"):
        raise PermissionDenied
    contract = get_object_or_404(Contract.objects.visible_to(request.user), pk=pk)
    if not Contract.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return contract


@access_rule(record("sales.contract", "sales.change_contract"))
@login_required
@require_POST
def contract_plan(request, pk: int):
    contract = _editable_contract(request, pk)
    form = PaymentPlanForm(request.POST)
    if form.is_valid():
        try:
            acts.set_payment_plan(
                contract, user=request.user, instalments=form.cleaned_data["plan"]
            )
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Payment plan saved."))
    else:
        messages.error(request, " ".join(form.errors.get("plan", [])))
    return redirect(contract.get_absolute_url())


@access_rule(record("sales.contract", "sales.change_contract"))
@login_required
@require_POST
def contract_transition(request, pk: int, op: str):
    status = op
    contract = _editable_contract(request, pk)
    try:
        if status == "active":
            acts.activate_contract(contract, user=request.user)
        elif status == "terminated":
            acts.terminate_contract(contract, user=request.user)
        else:
            raise ValidationError(_("Unknown status."))
    except ValidationError as exc:
        _error(request, exc)
    return redirect(contract.get_absolute_url())


# --- Payments -----------------------------------------------------------------------------------


class PaymentDetailView(ObjectDetailView):
    def get_template_names(self):
        return ["sales/orders/payment_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        payment = ctx["object"]
        user = self.request.user
        ctx["can_change"] = False
        ctx["reversal"] = Payment.objects.filter(reverses=payment).first()
        ctx["can_reverse"] = (
            user.has_perm("sales.change_payment")
            and payment.reverses_id is None
            and ctx["reversal"] is None
            and Payment.objects.editable_by(user).filter(pk=payment.pk).exists()
        )
        return ctx


@access_rule(record("sales.payment", "sales.change_payment"))
@login_required
@require_POST
def payment_reverse(request, pk: int):
    if not request.user.has_perm("sales.change_payment"):
        raise PermissionDenied
    payment = get_object_or_404(Payment.objects.visible_to(request.user), pk=pk)
    if not Payment.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    try:
        reversal = coll.reverse_payment(
            payment, user=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        _error(request, exc)
        return redirect(payment.get_absolute_url())
    messages.success(request, _("Payment %(number)s reversed.") % {"number": payment.number})
    return redirect(reversal.get_absolute_url())


# --- Quote conversion ---------------------------------------------------------------------------


@access_rule(perm("sales.add_salesorder"))
@login_required
def quote_conversions(request):
    """Accepted quotes the user may see that are not converted yet, with the two conversions."""
    if not request.user.has_perm("sales.add_salesorder"):
        raise PermissionDenied
    quotes = (
        Quote.objects.visible_to(request.user)
        .filter(status=Quote.Status.ACCEPTED, sales_orders__isnull=True, contracts__isnull=True)
        .select_related("customer", "owner")
        .order_by("-pk")[:200]
    )
    return render(request, "sales/orders/quote_conversions.html", {"quotes": quotes})


def _convert_quote(request, pk: int, *, perm: str, convert):
    """Convert a visible quote (an order or a contract, each its own permission and route)."""
    if not request.user.has_perm(perm):
        raise PermissionDenied
    quote = get_object_or_404(Quote.objects.visible_to(request.user), pk=pk)
    try:
        obj = convert(quote, user=request.user)
    except ValidationError as exc:
        _error(request, exc)
        return redirect("sales:quote_conversions")
    messages.success(request, _("Quote converted into %(number)s.") % {"number": obj.number})
    return redirect(obj.get_absolute_url())


@access_rule(record("sales.quote", "sales.add_salesorder"))
@login_required
@require_POST
def quote_to_order(request, pk: int):
    return _convert_quote(
        request, pk, perm="sales.add_salesorder", convert=acts.convert_quote_to_order
    )


@access_rule(record("sales.quote", "sales.add_contract"))
@login_required
@require_POST
def quote_to_contract(request, pk: int):
    return _convert_quote(
        request, pk, perm="sales.add_contract", convert=acts.convert_quote_to_contract
    )


# --- Receivables ageing -------------------------------------------------------------------------


@access_rule(perm("sales.view_payment"))
@login_required
def ageing(request):
    from kehu.core.providers import departments_in_scope

    if not request.user.has_perm("sales.view_payment"):
        raise PermissionDenied
    by = request.GET.get("by", "customer")
    by = by if by in coll.GROUPS else "customer"
    as_of = date_param(request.GET.get("as_of"), name="as_of") or timezone.localdate()
    departments = list(departments_in_scope(request.user, SalesOrder, Access.VIEW))
    dept_id = int_param(request.GET.get("department"), name="department")
    department = next((d for d in departments if d.pk == dept_id), None)
    rows = coll.ageing(request.user, by=by, as_of=as_of, department=department)
    shown = 100
    return render(
        request,
        "sales/orders/ageing.html",
        {
            "rows": rows[:shown],
            "more": max(0, len(rows) - shown),
            "totals": coll.ageing_totals(rows),
            "buckets": coll.BUCKETS,
            "by": by,
            "as_of": as_of,
            "departments": departments,
            "department": department,
            "groups": [
                ("customer", _("Customer")),
                ("owner", _("Owner")),
                ("department", _("Department")),
            ],
            "due_soon": coll.receivables_due(request.user),
        },
    )


# --- Commissions --------------------------------------------------------------------------------


def _month(request) -> tuple[int, int]:
    today = timezone.localdate()
    raw = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        datetime.date(year, month, 1)
        if not 1900 <= year <= 2100:
            raise ValueError
    except ValueError:
        return today.year, today.month
    return year, month


@access_rule(perm("sales.view_commissionrule"))
@login_required
def commission_statement(request):
    """One employee's statement for a month (people in the user's payment scope); ``?export=csv``."""
    from kehu.core.providers import people_in_scope

    if not request.user.has_perm("sales.view_commissionrule"):
        raise PermissionDenied
    year, month = _month(request)
    people = list(people_in_scope(request.user, Payment, Access.VIEW))
    if not people:
        people = [request.user]
    wanted = int_param(request.GET.get("employee"), name="employee") or request.user.pk
    employee = next((p for p in people if p.pk == wanted), None) or next(
        (p for p in people if p.pk == request.user.pk), people[0]
    )
    result = comm.statement(
        employee, year, month, payments=Payment.objects.visible_to(request.user)
    )
    places = get_params().order_amount_decimals
    if request.GET.get("export") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="commission-{employee.pk}-{year}-{month:02d}.csv"'
        )
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(
            [
                _("Payment"),
                _("Paid on"),
                _("Customer"),
                _("Document"),
                _("Product"),
                _("Collected"),
                _("Rule"),
                _("Rate (%)"),
                _("Commission"),
            ]
        )
        for line in result.lines:
            pay = line.payment
            writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        pay.number,
                        pay.paid_on.isoformat(),
                        str(pay.customer),
                        (pay.order or pay.contract).number,
                        str(line.product or _("All products")),
                        quantize(line.amount, places),
                        str(line.rule or "—"),
                        line.rate.normalize(),
                        quantize(line.commission, places),
                    )
                ]
            )
        writer.writerow(
            [
                "",
                "",
                "",
                "",
                _("Total"),
                quantize(result.collected, places),
                "",
                "",
                quantize(result.commission, places),
            ]
        )
        return response
    return render(
        request,
        "sales/orders/commission_statement.html",
        {
            "statement": result,
            "people": people,
            "employee": employee,
            "month_value": f"{year}-{month:02d}",
            "places": places,
        },
    )


# --- Targets ------------------------------------------------------------------------------------


@access_rule(perm("sales.view_salestarget"))
@login_required
def targets(request):
    if not request.user.has_perm("sales.view_salestarget"):
        raise PermissionDenied
    today = timezone.localdate()
    period = request.GET.get("period", "month")
    period = period if period in ("month", "quarter", "year") else "month"
    year = int_param(request.GET.get("year"), name="year") or today.year
    if not 1900 <= year <= 2100:
        year = today.year
    default = {"month": today.month, "quarter": (today.month - 1) // 3 + 1, "year": 1}[period]
    limit = {"month": 12, "quarter": 4, "year": 1}[period]
    number = int_param(request.GET.get("number"), name="number") or default
    number = number if 1 <= number <= limit else default
    rows = tgt.attainment(request.user, period, year, number)
    places = get_params().order_amount_decimals
    # the chart: the teams one level below the top (the table has the whole tree)
    depths = sorted({r.depth for r in rows if r.kind == "department"})
    level = depths[1] if len(depths) > 1 else (depths[0] if depths else 0)
    chart_rows = [r for r in rows if r.kind == "department" and r.depth == level] or rows
    chart = {
        "option": {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": [str(_("Booked target")), str(_("Booked")), str(_("Collected"))]},
            "grid": {"left": 16, "right": 16, "bottom": 8, "top": 40, "containLabel": True},
            "xAxis": {
                "type": "category",
                "data": [r.label for r in chart_rows],
                "axisLabel": {"interval": 0, "rotate": 30},
            },
            "yAxis": {"type": "value"},
            "series": [
                {
                    "name": str(_("Booked target")),
                    "type": "bar",
                    "data": [float(r.booked_target) for r in chart_rows],
                    "itemStyle": {"color": "#ced4da"},
                },
                {
                    "name": str(_("Booked")),
                    "type": "bar",
                    "data": [float(r.booked) for r in chart_rows],
                    "itemStyle": {"color": "#0d6efd"},
                },
                {
                    "name": str(_("Collected")),
                    "type": "bar",
                    "data": [float(r.collected) for r in chart_rows],
                    "itemStyle": {"color": "#198754"},
                },
            ],
        }
    }
    return render(
        request,
        "sales/orders/targets.html",
        {
            "rows": rows,
            "chart": chart,
            "period": period,
            "year": year,
            "number": number,
            "numbers": range(1, limit + 1),
            "places": places,
            "periods": [("month", _("Month")), ("quarter", _("Quarter")), ("year", _("Year"))],
        },
    )


class PaymentEditView(ObjectEditView):
    """The generic add form; ``?order=<id>`` / ``?contract=<id>`` preselect what is paid and
    propose the open amount."""

    def get_context_data(self, form=None, **kwargs):
        if form is None and "pk" not in self.kwargs:
            initial = {"paid_on": timezone.localdate()}
            user = self.request.user
            order_id = self.request.GET.get("order", "")
            contract_id = self.request.GET.get("contract", "")
            if order_id.isdigit():
                order = SalesOrder.objects.visible_to(user).filter(pk=order_id).first()
                if order is not None:
                    initial.update(order=order.pk, amount=coll.open_amount(order=order))
            elif contract_id.isdigit():
                contract = Contract.objects.visible_to(user).filter(pk=contract_id).first()
                if contract is not None:
                    initial["contract"] = contract.pk
                    inst = (
                        coll.instalment_receivables(contract.instalments.all())
                        .annotate(open=F("amount_due") - F("paid"))
                        .filter(open__gt=0)
                        .order_by("due_date", "id")
                        .first()
                    )
                    if inst is not None:
                        initial.update(instalment=inst.pk, amount=inst.open)
                    elif not contract.instalments.exists():
                        initial["amount"] = coll.open_amount(contract=contract)
            for key in ("amount",):
                if key in initial:
                    initial[key] = quantize(initial[key], get_params().order_amount_decimals)
            form = self.object_type.form(initial=initial, user=user)
        return super().get_context_data(form=form, **kwargs)
