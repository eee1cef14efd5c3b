"""Stalled-deal alerts: a deal that stays in an open stage longer than the stage's "stalled after"
days sends its owner one inbox notification (once per stall: a new stage starts a new count)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.core.actions import notify
from kehu.core.models import Notification

from ..models import Opportunity

BATCH = 5000


def stall_key(opp: Opportunity) -> str:
    """The stall's identity: the deal, its stage and when it entered it."""
    return f"deal-stalled:{opp.pk}:{opp.stage_id}:{opp.stage_changed_at:%Y%m%d%H%M%S}"


def notify_stalled_deals(*, now=None) -> int:
    """Notify the owners of stalled deals not told yet about this stall; the number sent.
    Queries: one for the deals, one for the keys already sent per batch, the inserts."""
    from ..filters.pipeline import stalled_condition

    qs = (
        Opportunity.objects.filter(stalled_condition(now))
        .filter(owner__is_active=True)
        .select_related("owner", "stage", "customer")
        .order_by("stage_changed_at", "pk")
    )
    sent = 0
    batch: list[Opportunity] = []
    for opp in qs.iterator(chunk_size=BATCH):
        batch.append(opp)
        if len(batch) >= BATCH:
            sent += _send(batch)
            batch = []
    if batch:
        sent += _send(batch)
    return sent


def _send(deals: list[Opportunity]) -> int:
    keys = {stall_key(o): o for o in deals}
    told = set(
        Notification.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True)
    )
    sent = 0
    for key, opp in keys.items():
        if key in told:
            continue
        sent += notify(
            recipients=[opp.owner],
            title=_("Deal stalled: %(deal)s has been in %(stage)s for %(days)s days")
            % {"deal": opp.name, "stage": opp.stage, "days": opp.days_in_stage},
            body=_("Customer: %(customer)s. Next step: %(step)s")
            % {"customer": opp.customer.name, "step": opp.next_step or "—"},
            link=opp.get_absolute_url(),
            level=Notification.Level.WARNING,
            kind="deal_stalled",
            dedupe_key=key,
        )
    return sent
