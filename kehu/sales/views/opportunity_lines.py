"""A deal's products card: add and remove lines (HTMX swaps the card), and "Create quote"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, record
from kehu.core.pickers import picker_html
from kehu.system.models import Product

from ..actions import opportunity_lines as actions
from ..models import Opportunity, OpportunityLine

CHANGE = "sales.change_opportunity"


def lines_context(opportunity: Opportunity, user, *, form: dict | None = None) -> dict:
    """What the products card shows: the lines, their total, and the add form when the user may
    change this open deal."""
    lines = list(opportunity.lines.select_related("product").order_by("position", "pk"))
    can_edit = (
        opportunity.status == Opportunity.Status.OPEN
        and user.has_perm(CHANGE)
        and Opportunity.objects.editable_by(user).filter(pk=opportunity.pk).exists()
    )
    return {
        "deal": opportunity,
        "deal_lines": lines,
        "deal_lines_total": sum((line.line_total for line in lines), start=0),
        "deal_lines_editable": can_edit,
        "deal_line_form": form or {},
        "deal_product_picker": picker_html(
            "product", Product.objects.filter(is_active=True), user=user
        )
        if can_edit
        else "",
        "can_quote": bool(lines) and user.has_perm("sales.add_quote"),
    }


def _card(request, opportunity: Opportunity, *, form: dict | None = None, status: int = 200):
    opportunity.refresh_from_db()
    return render(
        request,
        "sales/_deal_products.html",
        lines_context(opportunity, request.user, form=form),
        status=status,
    )


def _deal(request, pk: int) -> Opportunity:
    return get_object_or_404(Opportunity.objects.visible_to(request.user), pk=pk)


def _done(request, deal: Opportunity, *, form: dict | None = None, error: str = ""):
    """The refreshed card for HTMX (422 with the message on a refusal), else back to the deal."""
    if getattr(request, "htmx", False):
        if error:
            form = {**(form or {}), "error": error}
        return _card(request, deal, form=form, status=422 if error else 200)
    if error:
        messages.error(request, error)
    return redirect(deal.get_absolute_url() + "#products")


@access_rule(record("sales.opportunity", CHANGE))
@login_required
@require_POST
def deal_line_add(request, pk: int):
    deal = _deal(request, pk)
    posted = {
        name: request.POST.get(name, "")[:300]
        for name in ("quantity", "unit_price", "discount_percent", "description")
    }
    product_id = request.POST.get("product", "")
    product = (
        Product.objects.filter(pk=product_id, is_active=True).first()
        if product_id.isdigit()
        else None
    )
    try:
        actions.add_deal_line(opportunity=deal, user=request.user, product=product, **posted)
    except ValidationError as exc:
        return _done(request, deal, form=posted, error=" ".join(exc.messages))
    return _done(request, deal)


@access_rule(record("sales.opportunity", CHANGE))
@login_required
@require_POST
def deal_line_remove(request, pk: int, line_pk: int):
    deal = _deal(request, pk)
    line = get_object_or_404(OpportunityLine, pk=line_pk, opportunity=deal)
    try:
        actions.remove_deal_line(line=line, user=request.user)
    except ValidationError as exc:
        return _done(request, deal, error=" ".join(exc.messages))
    return _done(request, deal)


@access_rule(record("sales.opportunity", "sales.view_opportunity"))
@login_required
@require_POST
def deal_quote(request, pk: int):
    """A draft quote from the deal's products, opened for editing."""
    deal = _deal(request, pk)
    try:
        quote = actions.quote_from_deal(opportunity=deal, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(deal.get_absolute_url() + "#products")
    messages.success(
        request, _("Quote %(number)s was made from the deal's products.") % {"number": quote.number}
    )
    return redirect(reverse("sales:quote_edit", args=[quote.pk]))
