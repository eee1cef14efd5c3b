"""Pages of the competitors area: a competitor's page (its price history, the deals it took
part in and the notes about it) and the deal page's competitors card (HTMX swaps the card)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, record
from kehu.core.pickers import picker_html
from kehu.core.views import ObjectDetailView

from ..actions.competitors import (
    CHANGE_DEAL,
    add_deal_competitor,
    may_change_deal,
    price_history,
    remove_deal_competitor,
    update_deal_competitor,
)
from ..models import Competitor, DealCompetitor, IntelligenceNote, Opportunity


class CompetitorDetailView(ObjectDetailView):
    """The generic record page plus the competitor's product prices, its latest deals (those
    the user may see) and the intelligence notes about it."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        competitor = ctx["object"]
        user = self.request.user
        ctx["prices"] = (
            price_history(competitor) if user.has_perm("sales.view_competitorproduct") else None
        )
        ctx["can_add_price"] = user.has_perm("sales.add_competitorproduct")
        ctx["deal_links"] = None
        if user.has_perm("sales.view_opportunity"):
            ctx["deal_links"] = list(
                DealCompetitor.objects.filter(
                    competitor=competitor,
                    opportunity__in=Opportunity.objects.visible_to(user).values("pk"),
                )
                .select_related("opportunity", "opportunity__customer")
                .order_by("-opportunity__created_at", "-pk")[:20]
            )
        ctx["notes"] = None
        if user.has_perm("sales.view_intelligencenote"):
            ctx["notes"] = list(
                IntelligenceNote.objects.visible_to(user)
                .filter(competitor=competitor)
                .select_related("owner")
                .order_by("-date", "-pk")[:20]
            )
        ctx["can_add_note"] = user.has_perm("sales.add_intelligencenote")
        return ctx


# --- A deal's competitors card --------------------------------------------------------------------


def deal_competitors_context(opportunity: Opportunity, user, *, form: dict | None = None) -> dict:
    """What the deal page's competitors card shows: each competitor with its price and
    outcome, our amount beside it, and the add form when the user may change the deal."""
    links = list(opportunity.competitor_links.select_related("competitor").order_by("pk"))
    can_edit = may_change_deal(opportunity, user)
    return {
        "deal": opportunity,
        "deal_competitors": links,
        "deal_competitors_editable": can_edit,
        "deal_competitor_form": form or {},
        "deal_competitor_picker": picker_html(
            "competitor",
            Competitor.objects.filter(active=True).exclude(
                pk__in=[link.competitor_id for link in links]
            ),
            user=user,
            attrs={"id": "id_deal_competitor"},
        )
        if can_edit
        else "",
        "competitor_statuses": DealCompetitor.Status.choices,
        "can_view_competitors": user.has_perm("sales.view_competitor"),
    }


def _card(request, deal: Opportunity, *, form: dict | None = None, status: int = 200):
    deal.refresh_from_db()
    return render(
        request,
        "sales/_deal_competitors.html",
        deal_competitors_context(deal, request.user, form=form),
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
    return redirect(deal.get_absolute_url() + "#competitors")


@access_rule(record("sales.opportunity", CHANGE_DEAL))
@login_required
@require_POST
def deal_competitor_add(request, pk: int):
    deal = _deal(request, pk)
    posted = {
        name: request.POST.get(name, "")[:300] for name in ("offered_price", "status", "notes")
    }
    competitor_id = request.POST.get("competitor", "")
    competitor = (
        Competitor.objects.filter(pk=competitor_id).first() if competitor_id.isdigit() else None
    )
    try:
        add_deal_competitor(opportunity=deal, user=request.user, competitor=competitor, **posted)
    except ValidationError as exc:
        return _done(request, deal, form=posted, error=" ".join(exc.messages))
    return _done(request, deal)


@access_rule(record("sales.opportunity", CHANGE_DEAL))
@login_required
@require_POST
def deal_competitor_update(request, pk: int, line_pk: int):
    """Change a competitor's offered price, outcome or note in the deal."""
    deal = _deal(request, pk)
    link = get_object_or_404(DealCompetitor, pk=line_pk, opportunity=deal)
    try:
        update_deal_competitor(
            link=link,
            user=request.user,
            offered_price=request.POST.get("offered_price", "")[:40],
            status=request.POST.get("status") or None,
            notes=request.POST.get("notes", "")[:300] if "notes" in request.POST else None,
        )
    except ValidationError as exc:
        return _done(request, deal, error=" ".join(exc.messages))
    return _done(request, deal)


@access_rule(record("sales.opportunity", CHANGE_DEAL))
@login_required
@require_POST
def deal_competitor_remove(request, pk: int, line_pk: int):
    deal = _deal(request, pk)
    link = get_object_or_404(DealCompetitor, pk=line_pk, opportunity=deal)
    try:
        remove_deal_competitor(link=link, user=request.user)
    except ValidationError as exc:
        return _done(request, deal, error=" ".join(exc.messages))
    return _done(request, deal)


# --- A deal's intelligence notes card -------------------------------------------------------------


def deal_notes_context(opportunity: Opportunity, user, *, form: dict | None = None) -> dict | None:
    """The deal page's intelligence card (``None``: no card without the view permission)."""
    from ..timeline.competitors import deal_notes

    if not user.has_perm("sales.view_intelligencenote"):
        return None
    return {
        "deal": opportunity,
        "entries": deal_notes(opportunity, user),
        "can_add": user.has_perm("sales.add_intelligencenote"),
        "sources": IntelligenceNote.Source.choices,
        "form": form or {},
    }


@access_rule(record("sales.opportunity", "sales.view_opportunity"))
@login_required
@require_POST
def deal_note_add(request, pk: int):
    """A note about the deal (and its customer), written from the deal page."""
    from ..actions.competitors import save_intelligence_note

    deal = _deal(request, pk)
    if not request.user.has_perm("sales.add_intelligencenote"):
        raise PermissionDenied
    posted = {name: request.POST.get(name, "") for name in ("title", "source", "body")}
    note = IntelligenceNote(
        title=posted["title"][:200],
        source=posted["source"] or IntelligenceNote.Source.OTHER,
        body=posted["body"][:10000],
        opportunity=deal,
    )
    error = ""
    try:
        save_intelligence_note(note, user=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if getattr(request, "htmx", False):
        ctx = deal_notes_context(
            deal, request.user, form={**posted, "error": error} if error else None
        )
        return render(
            request, "sales/_deal_notes.html", {"notes_card": ctx}, status=422 if error else 200
        )
    if error:
        messages.error(request, error)
    return redirect(deal.get_absolute_url() + "#intelligence")
