"""Competitors and market intelligence: the business rules every page, the API, the importer,
the deal page's competitors card, the lost form and the demo call.

- :func:`save_competitor`, :func:`save_competitor_product`, :func:`save_intelligence_note`:
  the save paths of the registered types (names trimmed, prices not negative, currency from
  the parameters, a note's deal and customer agree).
- :func:`add_deal_competitor` / :func:`update_deal_competitor` / :func:`remove_deal_competitor`:
  a competitor in a deal (the deal's change permission and data scope).
- :func:`settle_deal_competitors`: called by the deal's stage change — won: the competitors
  still in the race lost to us; lost: the competitor it was lost to (optional) won; reopened:
  all back in the race.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.audit import audited_bulk_create, audited_bulk_delete, audited_bulk_update
from kehu.system.params import get_params, round_amount

from ..models import Competitor, CompetitorProduct, DealCompetitor, IntelligenceNote, Opportunity

CHANGE_DEAL = "sales.change_opportunity"


class CompetitorError(StrEnum):
    """Error codes of the competitor actions (``ValidationError.code``)."""

    NO_COMPETITOR = "no_competitor"
    INACTIVE = "inactive"
    DUPLICATE = "duplicate"
    BAD_PRICE = "bad_price"
    IN_USE = "in_use"
    MISMATCH = "mismatch"
    BAD_STATUS = "bad_status"


def _error(field: str, message: str, code: CompetitorError) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=str(code))})


def _price(value: Any, field: str) -> Decimal | None:
    """A price as posted (``None`` for empty): a finite number, not negative, rounded."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise _error(field, _("The price must be a number."), CompetitorError.BAD_PRICE)
    if number < 0:
        raise _error(field, _("The price cannot be negative."), CompetitorError.BAD_PRICE)
    if number >= Decimal("1e15"):
        raise _error(field, _("The price is too large."), CompetitorError.BAD_PRICE)
    return round_amount(number, "quote")


# --- Competitors and their products --------------------------------------------------------------


@transaction.atomic
def save_competitor(competitor: Competitor, *, user) -> Competitor:
    """Create or update a competitor; the name is trimmed and unique (case-insensitively)."""
    competitor.name = (competitor.name or "").strip()
    if (
        competitor.name
        and Competitor.objects.filter(name__iexact=competitor.name)
        .exclude(pk=competitor.pk)
        .exists()
    ):
        raise _error(
            "name",
            _("A competitor named %(name)s already exists.") % {"name": competitor.name},
            CompetitorError.DUPLICATE,
        )
    competitor.full_clean()
    competitor.save()
    return competitor


@transaction.atomic
def delete_competitor(*, user, obj: Competitor) -> None:
    """Delete a competitor with its products and prices; notes about it stay, unlinked. One
    that took part in deals stays (the win/loss history needs it): mark it inactive."""
    from kehu.core.audit import audited_write, delete_record

    used = DealCompetitor.objects.filter(competitor=obj).count()
    if used:
        raise _error(
            "competitor",
            _(
                "%(competitor)s took part in %(count)s deals and cannot be deleted; "
                "mark it inactive instead."
            )
            % {"competitor": obj, "count": used},
            CompetitorError.IN_USE,
        )
    notes = IntelligenceNote.objects.filter(competitor=obj)
    if notes.exists():
        audited_bulk_update(notes, competitor=None)
    audited_bulk_delete(CompetitorProduct.objects.filter(competitor=obj))
    with audited_write():
        delete_record(obj=obj, user=user)


@transaction.atomic
def save_competitor_product(product: CompetitorProduct, *, user) -> CompetitorProduct:
    """Create or update a competitor's product price (a new row for a new price keeps the
    history); the currency defaults to the company's."""
    product.name = (product.name or "").strip()
    product.price = _price(product.price, "price")
    if not product.currency:
        product.currency = get_params().currency
    product.currency = product.currency.upper()
    product.full_clean()
    product.save()
    return product


def price_history(competitor: Competitor) -> list[CompetitorProduct]:
    """The competitor's product prices, each product's newest first."""
    return list(
        CompetitorProduct.objects.filter(competitor=competitor)
        .select_related("product")
        .order_by("name", "-price_date", "-pk")
    )


# --- Competitors in a deal -----------------------------------------------------------------------


def may_change_deal(opportunity: Opportunity, user) -> bool:
    return user is None or (
        user.has_perm(CHANGE_DEAL)
        and Opportunity.objects.editable_by(user).filter(pk=opportunity.pk).exists()
    )


def _check_deal(opportunity: Opportunity, user) -> Opportunity:
    if not may_change_deal(opportunity, user):
        raise PermissionDenied
    return Opportunity.objects.select_for_update().get(pk=opportunity.pk)


def _status(value: str | None) -> str:
    value = value or DealCompetitor.Status.ACTIVE
    if value not in DealCompetitor.Status.values:
        raise _error("status", _("Choose a valid status."), CompetitorError.BAD_STATUS)
    return value


@transaction.atomic
def add_deal_competitor(
    *,
    opportunity: Opportunity,
    user,
    competitor: Competitor | None,
    offered_price: Any = None,
    status: str | None = None,
    notes: str = "",
) -> DealCompetitor:
    """Record that ``competitor`` bids for the deal (once per deal), with their price."""
    deal = _check_deal(opportunity, user)
    if competitor is None:
        raise _error("competitor", _("Choose a competitor."), CompetitorError.NO_COMPETITOR)
    if not competitor.active:
        raise _error(
            "competitor",
            _("%(competitor)s is marked inactive.") % {"competitor": competitor},
            CompetitorError.INACTIVE,
        )
    if DealCompetitor.objects.filter(opportunity=deal, competitor=competitor).exists():
        raise _error(
            "competitor",
            _("%(competitor)s is already in this deal.") % {"competitor": competitor},
            CompetitorError.DUPLICATE,
        )
    link = DealCompetitor(
        opportunity=deal,
        competitor=competitor,
        offered_price=_price(offered_price, "offered_price"),
        status=_status(status),
        notes=(notes or "").strip()[:300],
    )
    audited_bulk_create(DealCompetitor, [link])
    return link


@transaction.atomic
def update_deal_competitor(
    *,
    link: DealCompetitor,
    user,
    offered_price: Any = None,
    status: str | None = None,
    notes: str | None = None,
) -> DealCompetitor:
    """Change the price a competitor offered in a deal, its status or the note."""
    _check_deal(link.opportunity, user)
    link = DealCompetitor.objects.select_for_update().get(pk=link.pk)
    link.offered_price = _price(offered_price, "offered_price")
    if status is not None:
        link.status = _status(status)
    if notes is not None:
        link.notes = notes.strip()[:300]
    link.save()
    return link


@transaction.atomic
def remove_deal_competitor(*, link: DealCompetitor, user) -> Opportunity:
    deal = _check_deal(link.opportunity, user)
    audited_bulk_delete(DealCompetitor.objects.filter(pk=link.pk, opportunity=deal))
    return deal


def settle_deal_competitors(*, opportunity: Opportunity, lost_to: Competitor | None = None) -> None:
    """The competitors' outcome after the deal's stage changed (called by ``save_opportunity``
    inside its transaction): won → those still active lost to us; lost → ``lost_to`` won
    (added to the deal if it was not in it); reopened → everyone back in the race."""
    links = DealCompetitor.objects.filter(opportunity=opportunity)
    status = opportunity.status
    if status == Opportunity.Status.WON:
        active = links.filter(status=DealCompetitor.Status.ACTIVE)
        if active.exists():
            audited_bulk_update(active, status=DealCompetitor.Status.WE_WON)
    elif status == Opportunity.Status.LOST:
        if lost_to is None:
            return
        won = links.filter(competitor=lost_to)
        if won.exists():
            audited_bulk_update(won, status=DealCompetitor.Status.THEY_WON)
        else:
            audited_bulk_create(
                DealCompetitor,
                [
                    DealCompetitor(
                        opportunity=opportunity,
                        competitor=lost_to,
                        status=DealCompetitor.Status.THEY_WON,
                    )
                ],
            )
    else:
        settled = links.exclude(status=DealCompetitor.Status.ACTIVE)
        if settled.exists():
            audited_bulk_update(settled, status=DealCompetitor.Status.ACTIVE)


# --- Intelligence notes ---------------------------------------------------------------------------


@transaction.atomic
def save_intelligence_note(note: IntelligenceNote, *, user) -> IntelligenceNote:
    """Create or update a note: owned by who wrote it; a note about a deal is about the deal's
    customer (filled in when left empty, refused when another)."""
    if note._state.adding:
        if not note.owner_id:
            note.owner = user
        if not note.department_id and note.owner_id:
            note.department_id = note.owner.department_id
    note.title = (note.title or "").strip()
    if note.opportunity_id:
        deal_customer = note.opportunity.customer_id
        if not note.customer_id:
            note.customer_id = deal_customer
        elif note.customer_id != deal_customer:
            raise _error(
                "customer",
                _("The deal %(deal)s is with another customer.") % {"deal": note.opportunity},
                CompetitorError.MISMATCH,
            )
    note.full_clean(exclude=["owner", "department"] if note.department_id is None else None)
    note.save()
    return note
