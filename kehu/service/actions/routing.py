"""Routing a request to the most qualified free agent.

The score of an agent for a request (higher is better), every part documented so the reason
shown on the request is the computation itself:

- **availability** — only *online* agents inside working hours are candidates; *away* agents
  are considered only when nobody is online (score −20); *off duty* agents never.
- **load** — agents at their ``max_load`` of open requests are skipped; otherwise
  ``+20 × (1 − open / max_load)``: the emptier, the better.
- **category** — ``+40`` when the agent handles the request's category.
- **product** — ``+30`` when the agent knows the request's product.
- **language** — ``+10`` when the agent speaks the customer's language (default ``zh``).
- **level** — ``+2 × level`` (1–5), and for urgent/high requests or complaints another
  ``+2 × level``: the harder cases go to the more experienced.
- **affinity** — ``+15`` when the agent owns the customer (the customer knows them).

Ties go to the lower open load, then to the lower user id (stable). :func:`choose_agent` is
pure (profiles and loads in, decision out) so it is unit-tested and benchmarked on its own;
:func:`route_request` loads what it needs in three queries and stores agent and reason.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import AgentProfile, ServiceRequest
from ..models.requests import OPEN_STATUSES

W_CATEGORY, W_PRODUCT, W_LANGUAGE, W_AFFINITY, W_LOAD, W_LEVEL, AWAY_PENALTY = (
    40,
    30,
    10,
    15,
    20,
    2,
    -20,
)
HARD_PRIORITIES = ("urgent", "high")


@dataclass(frozen=True)
class Candidate:
    """What routing knows of one agent."""

    user_id: int
    name: str
    categories: frozenset[str] = frozenset()
    products: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset({"zh"})
    level: int = 3
    availability: str = "online"
    max_load: int = 10
    open_load: int = 0


@dataclass(frozen=True)
class Need:
    """What the request asks for."""

    category: str = ""
    product_id: int | None = None
    language: str = "zh"
    priority: str = "normal"
    complaint: bool = False
    customer_owner_id: int | None = None


@dataclass
class Decision:
    user_id: int | None
    score: float
    reason: str
    parts: list[str] = field(default_factory=list)


def points(c: Candidate, need: Need) -> float:
    """The agent's score for the request (see the module text); no strings, so scoring 500
    agents stays well under a millisecond."""
    total = W_LOAD * (1 - c.open_load / c.max_load)
    if need.category and need.category in c.categories:
        total += W_CATEGORY
    if need.product_id and need.product_id in c.products:
        total += W_PRODUCT
    if need.language in c.languages:
        total += W_LANGUAGE
    total += W_LEVEL * c.level
    if need.priority in HARD_PRIORITIES or need.complaint:
        total += W_LEVEL * c.level
    if need.customer_owner_id and need.customer_owner_id == c.user_id:
        total += W_AFFINITY
    if c.availability == AgentProfile.Availability.AWAY:
        total += AWAY_PENALTY
    return round(total, 2)


def score(c: Candidate, need: Need) -> tuple[float, list[str]]:
    """The agent's score and the readable parts that made it (for the chosen agent's reason)."""
    parts: list[str] = [_("load %(open)s/%(max)s") % {"open": c.open_load, "max": c.max_load}]
    if need.category and need.category in c.categories:
        parts.append(_("handles the category"))
    if need.product_id and need.product_id in c.products:
        parts.append(_("knows the product"))
    if need.language in c.languages:
        parts.append(_("speaks %(lang)s") % {"lang": need.language})
    parts.append(_("level %(level)s") % {"level": c.level})
    if need.customer_owner_id and need.customer_owner_id == c.user_id:
        parts.append(_("owns the customer"))
    if c.availability == AgentProfile.Availability.AWAY:
        parts.append(_("away"))
    return points(c, need), parts


def choose_agent(candidates: list[Candidate], need: Need, *, working: bool = True) -> Decision:
    """The best candidate for ``need``: online agents under their maximum load (away ones only
    when no online agent is free, and nobody outside working hours); the reason names the
    winning parts."""
    free = [c for c in candidates if c.open_load < c.max_load and c.availability != "off"]
    online = [c for c in free if c.availability == AgentProfile.Availability.ONLINE]
    pool = online if (online and working) else []
    if not pool and working:
        pool = [c for c in free if c.availability == AgentProfile.Availability.AWAY]
    if not pool:
        if not working:
            return Decision(None, 0, _("Outside working hours: left in the queue."))
        return Decision(None, 0, _("No agent is free: left in the queue."))
    best, best_key = None, None
    for c in pool:
        key = (-points(c, need), c.open_load, c.user_id)
        if best_key is None or key < best_key:
            best, best_key = c, key
    _total, best_parts = score(best, need)
    reason = _("%(name)s scored %(score)s of %(count)s free agents: %(parts)s.") % {
        "name": best.name,
        "score": -best_key[0],
        "count": len(pool),
        "parts": ", ".join(str(p) for p in best_parts),
    }
    return Decision(best.user_id, -best_key[0], reason, best_parts)


def load_candidates() -> list[Candidate]:
    """Every active agent's profile with the open requests assigned to them (three queries)."""
    loads = dict(
        ServiceRequest.objects.filter(status__in=OPEN_STATUSES, agent__isnull=False)
        .values_list("agent")
        .annotate(n=Count("id"))
        .values_list("agent", "n")
    )
    profiles = list(
        AgentProfile.objects.filter(user__is_active=True)
        .select_related("user")
        .prefetch_related("products")
    )
    return [
        Candidate(
            user_id=p.user_id,
            name=p.user.get_full_name() or p.user.username,
            categories=frozenset(p.category_set),
            products=frozenset(pr.pk for pr in p.products.all()),
            languages=frozenset(p.language_set),
            level=p.level,
            availability=p.availability,
            max_load=p.max_load,
            open_load=loads.get(p.user_id, 0),
        )
        for p in profiles
    ]


def need_of(req: ServiceRequest, *, language: str = "zh") -> Need:
    return Need(
        category=req.category,
        product_id=req.product_id,
        language=language,
        priority=req.priority,
        complaint=req.type == ServiceRequest.Type.COMPLAINT,
        customer_owner_id=req.customer.owner_id if req.customer_id else None,
    )


def in_working_hours(now: datetime.datetime) -> bool:
    from kehu.system.actions.params import is_working_day
    from kehu.system.params import get_params

    local = timezone.localtime(now)
    params = get_params()
    return is_working_day(local.date()) and params.work_start <= local.time() < params.work_end


def route_request(req: ServiceRequest, *, now: datetime.datetime | None = None) -> Decision:
    """Choose the agent for a new request and store the choice and its reason on it (the
    caller saves). A request nobody can take stays *new* with the reason why."""
    now = now or timezone.now()
    decision = choose_agent(load_candidates(), need_of(req), working=in_working_hours(now))
    req.routing_reason = decision.reason
    if decision.user_id is not None:
        req.agent_id = decision.user_id
        if req.status == ServiceRequest.Status.NEW:
            req.status = ServiceRequest.Status.ASSIGNED
    return decision


class RoutingError:
    NOT_AN_AGENT = "not_an_agent"
    CLOSED = "request_closed"


@transaction.atomic
def reassign_request(req: ServiceRequest, *, user, agent, note: str = "") -> ServiceRequest:
    """Manual override of the routing: needs the reassign permission; the new agent and who
    chose them are stored in the reason and the audit trail."""
    if not user.has_perm("service.reassign_servicerequest"):
        raise PermissionDenied
    req = ServiceRequest.objects.select_for_update().get(pk=req.pk)
    if not req.is_open:
        raise ValidationError(
            _("A resolved or closed request is not reassigned."), code=RoutingError.CLOSED
        )
    if agent is None or not agent.is_active:
        raise ValidationError(
            {"agent": ValidationError(_("Choose an active agent."), code=RoutingError.NOT_AN_AGENT)}
        )
    reason = _("Reassigned by %(user)s from %(old)s.") % {
        "user": user.get_full_name() or user.username,
        "old": req.agent or "—",
    }
    if note:
        reason += " " + note
    req.agent = agent
    req.routing_reason = reason
    if req.status == ServiceRequest.Status.NEW:
        req.status = ServiceRequest.Status.ASSIGNED
    req.save()
    return req
