"""Routing: the scoring function's documented parts, and the decision with its reason stored on
the request; the manual override is permission-checked and audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from kehu.service.actions.routing import Candidate, Need, choose_agent, score


@pytest.fixture(autouse=True)
def english():
    """Reasons are checked in English (the default language is Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def c(uid, **kw) -> Candidate:
    return Candidate(user_id=uid, name=f"agent{uid}", **kw)


def test_category_match_beats_an_emptier_generalist():
    need = Need(category="fault")
    expert = c(1, categories=frozenset({"fault"}), open_load=5)
    idle = c(2, open_load=0)
    d = choose_agent([idle, expert], need)
    assert d.user_id == 1
    assert "handles the category" in d.reason


def test_agents_at_max_load_and_off_duty_are_never_chosen():
    need = Need(category="fault")
    full = c(1, categories=frozenset({"fault"}), open_load=10, max_load=10)
    off = c(2, categories=frozenset({"fault"}), availability="off")
    free = c(3)
    assert choose_agent([full, off, free], need).user_id == 3
    assert choose_agent([full, off], need).user_id is None


def test_away_agents_only_when_nobody_online_is_free():
    need = Need()
    away = c(1, availability="away", level=5)
    online = c(2, level=1)
    assert choose_agent([away, online], need).user_id == 2
    d = choose_agent([away], need)
    assert d.user_id == 1 and "away" in d.reason


def test_outside_working_hours_nobody_is_assigned():
    d = choose_agent([c(1)], Need(), working=False)
    assert d.user_id is None and "Outside working hours" in d.reason


def test_load_product_language_affinity_and_level_add_up_as_documented():
    need = Need(
        category="fault", product_id=7, language="en", priority="urgent", customer_owner_id=9
    )
    agent = c(
        9,
        categories=frozenset({"fault"}),
        products=frozenset({7}),
        languages=frozenset({"en"}),
        level=4,
        open_load=5,
        max_load=10,
    )
    total, parts = score(agent, need)
    # load 20 × 0.5 + category 40 + product 30 + language 10 + level 2×4 twice (urgent) + owner 15
    assert total == 10 + 40 + 30 + 10 + 16 + 15
    assert len(parts) == 6


def test_ties_go_to_the_lower_load_then_the_lower_id():
    need = Need()
    a, b = c(5, open_load=2, max_load=4), c(3, open_load=1, max_load=2)
    # both at half load (same score): the lower open load wins
    assert choose_agent([a, b], need).user_id == 3
    assert choose_agent([c(8), c(4)], need).user_id == 4


@pytest.mark.django_db
def test_new_request_is_routed_and_reason_stored_then_reassigned_with_audit(make_user, admin_user):
    import datetime

    from django.utils import timezone

    from kehu.core.models import AuditLog
    from kehu.customers.tests.factories import customer
    from kehu.service.actions.requests import save_request
    from kehu.service.actions.routing import reassign_request
    from kehu.service.models import AgentProfile, ServiceRequest

    a1, a2 = make_user("service_agent", "a1"), make_user("service_agent", "a1")
    AgentProfile(user=a1, categories="billing").save()
    AgentProfile(user=a2, categories="fault", level=4).save()
    now = timezone.make_aware(datetime.datetime(2026, 3, 3, 10))  # Tuesday 10:00
    req = ServiceRequest(customer=customer(a1, 1), subject="报修", category="fault", created_at=now)
    req = save_request(req, user=a1, now=now)
    assert req.agent == a2 and req.status == "assigned"
    assert "handles the category" in req.routing_reason
    with pytest.raises(PermissionDenied):
        reassign_request(req, user=a1, agent=a1)
    req = reassign_request(req, user=admin_user, agent=a1, note="客户点名")
    assert req.agent == a1 and "客户点名" in req.routing_reason
    entry = AuditLog.objects.for_object(req).order_by("-pk").first()
    assert entry.changes["agent_id"] == [a2.pk, a1.pk]
