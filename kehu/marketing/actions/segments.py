"""Segments: saving a customer query, evaluating it for a reader, and materialising it into a
campaign's members."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from kehu.core.filters import filtered_queryset
from kehu.core.registry import get_object_type
from kehu.customers.models import Customer

from ..models import Campaign, CampaignMember, Segment
from .campaigns import check_campaign_editable, create_members

#: How deep exclusion chains are followed (a segment excluding one that excludes another …).
MAX_EXCLUDE_DEPTH = 5


def customer_filterset(data, *, user, prefix: str | None = None):
    """The customer list's FilterSet over the customers ``user`` may see."""
    ot = get_object_type(Customer)
    return ot.filterset(data, queryset=Customer.objects.visible_to(user), user=user, prefix=prefix)


def check_query(query: str, *, user) -> str:
    """The query string, if the customer list's filters accept it (else a field error)."""
    query = (query or "").strip().lstrip("?")
    filterset = customer_filterset(QueryDict(query), user=user)
    if not filterset.is_valid():
        problems = "; ".join(
            f"{filterset.form.fields[name].label if name in filterset.form.fields else name}: "
            + " ".join(errors)
            for name, errors in filterset.form.errors.items()
        )
        raise ValidationError({"query": ValidationError(problems, code="bad_filter")})
    return query


@transaction.atomic
def save_segment(segment: Segment, *, user) -> Segment:
    if segment._state.adding:
        if not segment.owner_id:
            segment.owner = user
        if not segment.department_id:
            segment.department_id = segment.owner.department_id
    if user is not None:
        segment.query = check_query(segment.query, user=user)
    seen, current = {segment.pk}, segment.exclude
    for _depth in range(MAX_EXCLUDE_DEPTH + 1):
        if current is None:
            break
        if current.pk in seen:
            raise ValidationError(
                {"exclude": ValidationError(_("A segment cannot exclude itself."), code="loop")}
            )
        seen.add(current.pk)
        current = current.exclude
    segment.full_clean(exclude=["owner", "department"] if segment.department_id is None else None)
    segment.save()
    return segment


def segment_customers(segment: Segment, *, user, depth: int = 0):
    """The segment's customers as ``user`` sees them now (their scope, today's data)."""
    ot = get_object_type(Customer)
    _filterset, qs = filtered_queryset(ot, user, QueryDict(segment.query or ""))
    if segment.exclude_unsubscribed:
        from kehu.system.messaging.models import Suppression

        qs = qs.exclude(
            pk__in=CampaignMember.objects.filter(
                status=CampaignMember.Status.UNSUBSCRIBED, customer__isnull=False
            ).values("customer_id")
        ).exclude(email__in=Suppression.objects.filter(channel="email").values("address"))
    if segment.exclude_id and depth < MAX_EXCLUDE_DEPTH:
        qs = qs.exclude(
            pk__in=segment_customers(segment.exclude, user=user, depth=depth + 1).values("pk")
        )
    return qs


@transaction.atomic
def materialise(*, segment: Segment, campaign: Campaign, user) -> int:
    """Add the segment's customers (as ``user`` sees them) to the campaign's members; people
    already in it stay as they are. Returns how many were added."""
    check_campaign_editable(campaign=campaign, user=user)
    customers = (
        segment_customers(segment, user=user).select_related(None).only("pk", "name", "email")
    )
    return create_members(campaign=campaign, customers=customers.iterator(chunk_size=2000))
