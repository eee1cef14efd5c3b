"""Customer lifecycle: the rule table (every transition, recovery, missing providers), signals,
bulk recompute (history, audit, constant queries), manual override, pages, API and permissions."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.core.audit import unaudited_write
from kehu.core.models import AuditLog
from kehu.customers import actions
from kehu.customers.actions.lifecycle import DEFAULT_THRESHOLDS, evaluate_stage
from kehu.customers.models import Customer, LifecycleChange, LifecycleStage
from kehu.system.models import Role

from .factories import activity as make_activity
from .factories import contact as make_contact
from .factories import customer as make_customer

S = LifecycleStage
P, D, G, M = S.PROSPECT, S.DEVELOPMENT, S.GROWTH, S.MATURITY
DEC, TERM, REC = S.DECLINE, S.TERMINATION, S.RECOVERY

#: Only the providers of this module (no activities, no sales).
BASE = {"days_since_created": 10, "status": None, "days_since_audit_change": 5, "contacts_count": 0}
#: All providers, the activities and sales modules included.
FULL = {
    **BASE,
    "days_since_last_activity": 5,
    "activities_last_90d": 0,
    "activities_prev_90d": 0,
    "orders_last_12m": 0,
    "orders_prev_12m": 0,
    "payments_last_12m": 0,
    "payments_prev_12m": 0,
    "days_since_first_order": None,
    "days_since_last_order": None,
}

# (case, signals, current stage, days in stage, expected stage, expected rule)
TABLE = [
    # --- only this module's providers (graceful degradation) ---
    ("new prospect", {}, P, None, P, "new"),
    ("contact → development", {"contacts_count": 1}, P, None, D, "in_contact"),
    ("contacts + recent → growth", {"contacts_count": 3}, D, None, G, "engaged"),
    (
        "old + contacts + active → maturity",
        {"contacts_count": 3, "days_since_created": 800},
        G,
        None,
        M,
        "mature_relationship",
    ),
    ("dormant status → decline", {"status": "dormant"}, G, None, DEC, "status_dormant"),
    ("lost status → termination", {"status": "lost"}, M, None, TERM, "status_lost"),
    ("no edit for 200 days → decline", {"days_since_audit_change": 200}, G, None, DEC, "inactive"),
    (
        "no edit for 400 days → termination",
        {"days_since_audit_change": 400},
        DEC,
        None,
        TERM,
        "inactive_long",
    ),
    ("decline, active again → recovery", {"contacts_count": 2}, DEC, 30, REC, "reactivated"),
    ("termination, active again → recovery", {}, TERM, 100, REC, "reactivated"),
    (
        "decline, not active enough → stays",
        {"days_since_audit_change": 90},
        DEC,
        30,
        DEC,
        "not_recovered",
    ),
    ("recovery within hold → stays", {"contacts_count": 3}, REC, 10, REC, "recovering"),
    ("recovery after hold → growth", {"contacts_count": 3}, REC, 120, G, "engaged"),
    ("no regression growth → stays", {"contacts_count": 0}, G, None, G, "no_regression"),
    ("missing recency: no inactivity rule", {"days_since_audit_change": None}, G, None, G, None),
]

FULL_TABLE = [
    ("full: nothing yet", {}, P, None, P, "new"),
    ("full: activity → development", {"activities_last_90d": 1}, P, None, D, "in_contact"),
    (
        "full: rising activities → growth",
        {"activities_last_90d": 8, "activities_prev_90d": 4},
        D,
        None,
        G,
        "activity_growth",
    ),
    ("full: first order → growth", {"orders_last_12m": 1}, D, None, G, "buying"),
    (
        "full: buying long and often → maturity",
        {"orders_last_12m": 5, "orders_prev_12m": 5, "days_since_first_order": 900},
        G,
        None,
        M,
        "mature_buyer",
    ),
    (
        "full: contacts alone are not growth with sales data",
        {"contacts_count": 5},
        D,
        None,
        D,
        "in_contact",
    ),
    (
        "full: orders halved → decline",
        {"orders_last_12m": 2, "orders_prev_12m": 6, "days_since_first_order": 900},
        M,
        None,
        DEC,
        "sales_drop",
    ),
    (
        "full: payments halved → decline",
        {
            "orders_last_12m": 4,
            "orders_prev_12m": 4,
            "payments_last_12m": 10,
            "payments_prev_12m": 100,
        },
        M,
        None,
        DEC,
        "payments_drop",
    ),
    (
        "full: activities collapsed → decline",
        {"activities_last_90d": 1, "activities_prev_90d": 10},
        G,
        None,
        DEC,
        "activity_drop",
    ),
    (
        "full: no activity for 200 days → decline",
        {"days_since_last_activity": 200, "days_since_audit_change": 1},
        M,
        None,
        DEC,
        "inactive",
    ),
    (
        "full: a recent order is a sign of life",
        {"days_since_last_activity": 400, "days_since_last_order": 20, "orders_last_12m": 1},
        G,
        None,
        G,
        "buying",
    ),
    (
        "full: terminated, new activity → recovery",
        {"days_since_last_activity": 3, "activities_last_90d": 2},
        TERM,
        200,
        REC,
        "reactivated",
    ),
    (
        "full: no activity ever falls back to the last edit",
        {"days_since_last_activity": None, "days_since_audit_change": 250},
        G,
        None,
        DEC,
        "inactive",
    ),
]


@pytest.mark.parametrize(
    "case, signals, current, days, expected, rule",
    [(c, {**BASE, **s}, cur, d, e, r) for c, s, cur, d, e, r in TABLE]
    + [(c, {**FULL, **s}, cur, d, e, r) for c, s, cur, d, e, r in FULL_TABLE],
    ids=[row[0] for row in TABLE + FULL_TABLE],
)
def test_rule_table(case, signals, current, days, expected, rule):
    decision = evaluate_stage(signals, current=current, days_in_stage=days)
    assert decision.stage == expected, (case, decision)
    if rule:
        assert decision.reason == rule, (case, decision)
    assert decision.detail["rule"] == decision.reason


def test_no_providers_at_all_leaves_a_prospect():
    decision = evaluate_stage({}, current=P)
    assert (decision.stage, decision.reason) == (P, "new")
    assert "orders_last_12m" in decision.detail["missing"]


def test_thresholds_change_the_outcome():
    signals = {**BASE, "days_since_audit_change": 100}
    assert evaluate_stage(signals, current=G).stage == G
    strict = DEFAULT_THRESHOLDS | {"decline_inactive_days": 90, "active_days": 30}
    assert evaluate_stage(signals, current=G, thresholds=strict).stage == DEC
    codes = DEFAULT_THRESHOLDS | {"lost_statuses": ["gone"]}
    assert evaluate_stage({**BASE, "status": "gone"}, thresholds=codes).stage == TERM
    assert evaluate_stage({**BASE, "status": "lost"}, thresholds=codes).stage != TERM


def test_threshold_validation():
    with pytest.raises(ValidationError) as exc:
        actions.check_lifecycle_thresholds({"active_days": -1, "drop_ratio": "x", "nope": 1})
    assert {"active_days", "drop_ratio", "nope"} <= set(exc.value.error_dict)
    with pytest.raises(ValidationError) as exc:
        actions.check_lifecycle_thresholds({"decline_inactive_days": 500})
    assert "decline_inactive_days" in exc.value.error_dict
    assert actions.check_lifecycle_thresholds({"lost_statuses": "lost, gone"}) == {
        "lost_statuses": ["lost", "gone"]
    }


# --- Signals and recompute against the database -------------------------------------------------


@pytest.fixture
def seller(make_user):
    return make_user("salesperson", "a1")


@pytest.mark.django_db
def test_built_in_signals(seller):
    old = make_customer(seller, 1, registered_on=timezone.localdate() - datetime.timedelta(days=40))
    make_contact(seller, 1, customer=old)
    make_contact(seller, 2, customer=old)
    lost = make_customer(seller, 2, status="lost")
    signals = actions.compute_signals([old.pk, lost.pk])
    assert signals[old.pk]["days_since_created"] == 40
    assert signals[old.pk]["contacts_count"] == 2
    assert signals[lost.pk]["contacts_count"] == 0
    assert signals[lost.pk]["status"] == "lost"
    assert signals[old.pk]["days_since_audit_change"] == 0
    assert signals[old.pk]["days_since_last_activity"] is None  # no activity yet
    assert signals[old.pk]["activities_last_90d"] == 0


@pytest.mark.django_db
def test_activity_signals_and_the_stages_they_lead_to(seller):
    from kehu.customers.models import Activity

    now = timezone.now()
    busy = make_customer(seller, 1)
    for n in range(7):  # seven calls in the last 90 days, one in the 90 before: growth
        make_activity(seller, 10 + n, customer=busy, start_at=now - datetime.timedelta(days=n + 1))
    make_activity(seller, 30, customer=busy, start_at=now - datetime.timedelta(days=120))
    make_activity(  # a cancelled meeting and a future one are no sign of life
        seller, 31, customer=busy, start_at=now, status=Activity.Status.CANCELLED
    )
    quiet = make_customer(seller, 2)
    make_activity(seller, 40, customer=quiet, start_at=now + datetime.timedelta(days=3))
    signals = actions.compute_signals([busy.pk, quiet.pk])
    assert signals[busy.pk]["days_since_last_activity"] == 1
    assert (signals[busy.pk]["activities_last_90d"], signals[busy.pk]["activities_prev_90d"]) == (
        7,
        1,
    )
    assert signals[quiet.pk]["days_since_last_activity"] is None
    assert signals[quiet.pk]["activities_last_90d"] == 0
    actions.recompute_lifecycle()
    busy.refresh_from_db()
    assert busy.lifecycle_stage == G
    assert LifecycleChange.objects.get(customer=busy).reason == "activity_growth"


@pytest.mark.django_db
def test_lifecycle_and_owner_changes_are_not_signs_of_life(seller):
    c = make_customer(seller, 1)
    ct_entries = AuditLog.for_object(c)
    ct_entries.update(timestamp=timezone.now() - datetime.timedelta(days=300))
    actions.override_lifecycle_stage(customer=c, stage=G, reason="test", user=seller)
    assert actions.compute_signals([c.pk])[c.pk]["days_since_audit_change"] == 300
    c = Customer.objects.get(pk=c.pk)
    c.city = "北京"
    c.save()
    assert actions.compute_signals([c.pk])[c.pk]["days_since_audit_change"] == 0


@pytest.mark.django_db
def test_a_registered_provider_is_used_and_can_go(seller):
    c = make_customer(seller, 1)
    actions.register_lifecycle_signal("orders_last_12m", lambda ids: dict.fromkeys(ids, 2))
    try:
        actions.recompute_lifecycle()
        c.refresh_from_db()
        assert c.lifecycle_stage == G
        change = LifecycleChange.objects.get(customer=c)
        assert change.reason == "buying" and change.detail["signals"]["orders_last_12m"] == 2
    finally:
        actions.unregister_lifecycle_signal("orders_last_12m")
    assert "orders_last_12m" not in actions.compute_signals([c.pk])[c.pk]


@pytest.mark.django_db
def test_recompute_writes_stage_history_and_audit(seller):
    a = make_customer(seller, 1)
    make_contact(seller, 1, customer=a)
    b = make_customer(seller, 2, status="lost")
    same = make_customer(seller, 3)
    moved = actions.recompute_lifecycle()
    assert moved == {D: 1, TERM: 1}
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.lifecycle_stage, b.lifecycle_stage) == (D, TERM)
    assert a.lifecycle_since is not None
    change = LifecycleChange.objects.get(customer=a)
    assert (change.from_stage, change.to_stage, change.reason, change.automatic) == (
        P,
        D,
        "in_contact",
        True,
    )
    assert not LifecycleChange.objects.filter(customer=same).exists()
    audit = AuditLog.for_object(b).filter(action="update").get()
    assert audit.changes["lifecycle_stage"] == [P, TERM]
    # idempotent: a second run changes nothing
    assert actions.recompute_lifecycle() == {}
    assert LifecycleChange.objects.count() == 2


@pytest.mark.django_db
def test_recompute_queries_do_not_grow_with_customers(seller):
    def run(n_new: int) -> int:
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    number=f"Q{Customer.objects.count() + i:06d}",
                    name=f"q{i}",
                    owner=seller,
                    department=seller.department,
                    status="lost",
                )
                for i in range(n_new)
            ]
        )
        with CaptureQueriesContext(connection) as ctx:
            moved = actions.recompute_lifecycle(
                customer_ids=[c.pk for c in customers], chunk_size=1000
            )
        assert moved == {TERM: n_new}
        return len(ctx.captured_queries)

    assert run(3) == run(60)


@pytest.mark.django_db
def test_recompute_in_chunks_covers_everyone(seller):
    Customer.objects.bulk_create(
        [
            Customer(
                number=f"K{i:05d}",
                name=f"k{i}",
                owner=seller,
                department=seller.department,
                status="dormant",
            )
            for i in range(25)
        ]
    )
    chunks = []
    moved = actions.recompute_lifecycle(chunk_size=7, progress=chunks.append)
    assert moved == {DEC: 25}
    assert chunks == [7, 14, 21, 25]
    assert Customer.objects.filter(lifecycle_stage=DEC).count() == 25
    assert LifecycleChange.objects.count() == 25


@pytest.mark.django_db
def test_override_sticks_until_cleared(seller):
    c = make_customer(seller, 1, status="lost")
    actions.override_lifecycle_stage(customer=c, stage=M, reason="Key account", user=seller)
    actions.recompute_lifecycle()
    actions.recompute_customer_lifecycle(customer=c)
    c.refresh_from_db()
    assert (c.lifecycle_stage, c.lifecycle_overridden) == (M, True)
    manual = LifecycleChange.objects.get(customer=c, automatic=False, reason="manual")
    assert manual.user == seller and manual.detail == {"note": "Key account"}
    actions.clear_lifecycle_override(customer=c, user=seller)
    c.refresh_from_db()
    assert (c.lifecycle_stage, c.lifecycle_overridden) == (TERM, False)
    reasons = list(LifecycleChange.objects.filter(customer=c).values_list("reason", flat=True))
    assert reasons == ["status_lost", "override_cleared", "manual"]


@pytest.mark.django_db
def test_override_needs_a_reason_and_a_stage(seller):
    c = make_customer(seller, 1)
    with pytest.raises(ValidationError) as exc:
        actions.override_lifecycle_stage(customer=c, stage="nope", reason=" ", user=seller)
    assert {"stage", "reason"} == set(exc.value.error_dict)
    c.refresh_from_db()
    assert not c.lifecycle_overridden


@pytest.mark.django_db
def test_saved_thresholds_apply(seller):
    c = make_customer(seller, 1, status="gone")
    actions.save_lifecycle_thresholds(values={"lost_statuses": ["gone"]}, user=seller)
    actions.recompute_lifecycle()
    c.refresh_from_db()
    assert c.lifecycle_stage == TERM


@pytest.mark.django_db
def test_periodic_task_is_scheduled_and_runs(seller):
    from kehu.customers.tasks.lifecycle import recompute_lifecycle_task

    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "kehu.customers.recompute_lifecycle" in names
    c = make_customer(seller, 1, status="dormant")
    recompute_lifecycle_task()
    c.refresh_from_db()
    assert c.lifecycle_stage == DEC


# --- Pages, API, permissions --------------------------------------------------------------------


def salesperson_with(make_user, roles, codename: str, department: str = "a1"):
    """A salesperson whose role also grants ``codename`` (permissions come from roles)."""
    role = Role.objects.create(name=f"salesperson+{codename}")
    role.permissions.set(roles["salesperson"].permissions.all())
    role.permissions.add(Permission.objects.get(codename=codename))
    user = make_user(None, department)
    user.roles.add(role)
    return user


@pytest.mark.django_db
def test_customer_page_badge_history_card_and_override(client, make_user, roles):
    owner = make_user("salesperson", "a1")
    c = make_customer(owner, 1, status="dormant")
    actions.recompute_lifecycle()
    client.force_login(owner)
    page = client.get(reverse("customers:customer_detail", args=[c.pk])).content.decode()
    assert 'id="stage-badge"' in page and 'data-stage="decline"' in page
    card_url = reverse("customers:customer_lifecycle", args=[c.pk])
    card = client.get(card_url).content.decode()
    assert 'id="lifecycle-history"' in card and "lifecycle-override" not in card
    # no override permission: refused
    assert client.post(card_url, {"op": "override", "stage": M, "reason": "x"}).status_code == 403
    overrider = salesperson_with(make_user, roles, "override_lifecycle")
    with unaudited_write("test set-up"):
        Customer.objects.filter(pk=c.pk).update(owner=overrider)
    client.force_login(overrider)
    missing = client.post(card_url, {"op": "override", "stage": M, "reason": ""}).content.decode()
    assert "invalid-feedback" in missing
    done = client.post(card_url, {"op": "override", "stage": M, "reason": "VIP"}).content.decode()
    assert 'data-stage="maturity"' in done and "VIP" in done
    c.refresh_from_db()
    assert c.lifecycle_overridden


@pytest.mark.django_db
def test_lifecycle_card_and_api_respect_data_scope(client, make_user):
    owner = make_user("salesperson", "a1")
    outsider = make_user("salesperson", "a1")
    other_team = make_user("sales_manager", "a2")
    c = make_customer(owner, 1)
    for who in (outsider, other_team):
        client.force_login(who)
        assert client.get(reverse("customers:customer_lifecycle", args=[c.pk])).status_code == 404
        assert (
            client.post(
                reverse("customers:customer_lifecycle", args=[c.pk]), {"op": "recompute"}
            ).status_code
            == 404
        )
        assert client.get(f"/api/customer-lifecycle/{c.pk}/").status_code == 404
        assert client.post(f"/api/customer-lifecycle/{c.pk}/recompute/").status_code == 404
        counts = client.get("/api/customer-lifecycle/").json()
        assert sum(row["count"] for row in counts) == 0
        page = client.get(reverse("customers:lifecycle")).content.decode()
        assert 'data-stage="prospect"><td><span class="badge text-bg-secondary">' in page


@pytest.mark.django_db
def test_lifecycle_overview_counts_only_visible_customers(client, make_user):
    owner = make_user("salesperson", "a1")
    other = make_user("salesperson", "a1")
    make_customer(owner, 1, status="lost")
    make_customer(other, 2, status="lost")
    make_customer(other, 3)
    actions.recompute_lifecycle()
    client.force_login(owner)
    rows = {r["stage"]: r["count"] for r in client.get("/api/customer-lifecycle/").json()}
    assert rows[TERM] == 1 and rows[P] == 0
    html = client.get(reverse("customers:lifecycle")).content.decode()
    assert 'data-chart="lifecycle-chart"' in html
    assert f"?lifecycle_stage={TERM}" in html
    listing = client.get(reverse("customers:customer_list"), {"lifecycle_stage": TERM})
    assert listing.status_code == 200
    assert listing.content.decode().count("/customers/customers/") >= 1


@pytest.mark.django_db
def test_api_override_clear_and_rules(client, make_user, admin_user):
    owner = make_user("salesperson", "a1")
    c = make_customer(owner, 1)
    client.force_login(owner)
    assert (
        client.post(
            f"/api/customer-lifecycle/{c.pk}/override/",
            {"stage": G, "reason": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert client.get("/api/customer-lifecycle/rules/").json()["thresholds"]["active_days"] == 60
    assert (
        client.patch(
            "/api/customer-lifecycle/rules/",
            {"thresholds": {"active_days": 10}},
            content_type="application/json",
        ).status_code
        == 403
    )
    client.force_login(admin_user)
    r = client.post(
        f"/api/customer-lifecycle/{c.pk}/override/",
        {"stage": G, "reason": "hand"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["lifecycle_stage"] == G
    assert r.json()["history"][0]["reason"] == "manual"
    bad = client.patch(
        "/api/customer-lifecycle/rules/",
        {"thresholds": {"active_days": -3}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "active_days" in bad.json()
    ok = client.patch(
        "/api/customer-lifecycle/rules/",
        {"thresholds": {"active_days": 10}},
        content_type="application/json",
    )
    assert ok.json()["thresholds"]["active_days"] == 10
    r = client.post(f"/api/customer-lifecycle/{c.pk}/clear/")
    assert r.status_code == 200 and r.json()["lifecycle_overridden"] is False
    # the stage is not writable through the customer API
    client.patch(f"/api/customers/{c.pk}/", {"lifecycle_stage": M}, content_type="application/json")
    c.refresh_from_db()
    assert c.lifecycle_stage != M


@pytest.mark.django_db
def test_rules_page_needs_configure_permission_to_change(client, make_user, admin_user):
    manager = make_user("sales_manager", "a1")
    client.force_login(manager)
    url = reverse("customers:lifecycle_rules")
    page = client.get(url)
    assert page.status_code == 200 and "status_lost" in page.content.decode()
    assert client.post(url, {"active_days": 5}).status_code == 403
    assert client.post(reverse("customers:lifecycle_recompute")).status_code == 403
    client.force_login(admin_user)
    data = {
        name: (", ".join(v) if isinstance(v, list) else v) for name, v in DEFAULT_THRESHOLDS.items()
    }
    data["active_days"] = 45
    assert client.post(url, data).status_code == 302
    assert actions.get_lifecycle_thresholds()["active_days"] == 45
    data["active_days"] = 400
    bad = client.post(url, data)
    assert bad.status_code == 200 and "invalid-feedback" in bad.content.decode()
    assert actions.get_lifecycle_thresholds()["active_days"] == 45
