"""Customer lifecycle (客户生命周期): signals, the stage rules, bulk recompute and manual override.

How a stage is decided
----------------------
1. **Signals** are numbers (or codes) per customer, computed in bulk by registered providers:
   ``register_lifecycle_signal(name, fn)`` where ``fn(customer_ids) -> {customer_id: value}``
   costs a constant number of queries for any number of ids. A provider that is not registered
   leaves its signal *missing*; a provider that has no value for a customer returns ``None``.
2. **Rules** (:func:`evaluate_stage`) are a pure function of the signals, the current stage, the
   days spent in it and the thresholds (``LifecycleSettings``, defaults in ``DEFAULT_THRESHOLDS``).
   A rule whose signals are missing or ``None`` does not fire, so the rules degrade gracefully:
   with only this module's providers the stage comes from status, age, contacts and edits; once
   the activities and sales modules register their providers the same rules use them.
3. **Recompute** (:func:`recompute_lifecycle`) runs daily (``CELERY_BEAT_SCHEDULE``), from the
   lifecycle page and for one customer on demand: chunks of customers, one query per provider
   per chunk, one bulk update + bulk audit per target stage, one bulk insert of history rows.
   Customers whose stage was set by hand (``lifecycle_overridden``) are left alone.

Signals the rules read (providers in brackets; * = registered here)
    days_since_created* (customer age from the registration date), status* (customer status
    dictionary code), days_since_audit_change* (days since the last edit in the audit trail, not
    counting lifecycle and owner changes), contacts_count*;
    days_since_last_activity, activities_last_90d, activities_prev_90d (activities module);
    orders_last_12m, orders_prev_12m, payments_last_12m, payments_prev_12m,
    days_since_first_order, days_since_last_order (sales module).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.actions import bulk_update_audited
from kehu.core.errors import StaleObjectError
from kehu.core.models import AuditLog
from kehu.core.registry import registry

from ..models import (
    Activity,
    Contact,
    Customer,
    LifecycleChange,
    LifecycleSettings,
    LifecycleStage,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "LIFECYCLE_SIGNALS",
    "RULES",
    "StageDecision",
    "check_lifecycle_thresholds",
    "clear_lifecycle_override",
    "compute_signals",
    "evaluate_stage",
    "get_lifecycle_thresholds",
    "override_lifecycle_stage",
    "recompute_customer_lifecycle",
    "recompute_lifecycle",
    "register_lifecycle_signal",
    "save_lifecycle_thresholds",
    "stage_counts",
    "unregister_lifecycle_signal",
]

S = LifecycleStage

# --- Thresholds ---------------------------------------------------------------------------------

#: name → (default, label, kind); kind is "days", "count", "ratio" or "codes" (status codes).
THRESHOLDS: dict[str, tuple[Any, Any, str]] = {
    "lost_statuses": (["lost"], gettext_lazy("Status codes meaning the customer is lost"), "codes"),
    "dormant_statuses": (
        ["dormant"],
        gettext_lazy("Status codes meaning the customer is dormant"),
        "codes",
    ),
    "termination_inactive_days": (
        365,
        gettext_lazy("Days without any sign of life before termination"),
        "days",
    ),
    "decline_inactive_days": (
        180,
        gettext_lazy("Days without any sign of life before decline"),
        "days",
    ),
    "active_days": (
        60,
        gettext_lazy("A sign of life within this many days counts as active"),
        "days",
    ),
    "drop_ratio": (
        0.5,
        gettext_lazy("Decline when the last period falls below this share of the previous one"),
        "ratio",
    ),
    "min_previous": (
        3,
        gettext_lazy("Orders or activities in the previous period needed to call a drop"),
        "count",
    ),
    "recovery_hold_days": (
        90,
        gettext_lazy("Days a recovering customer stays in recovery"),
        "days",
    ),
    "maturity_min_days": (
        730,
        gettext_lazy("Days since the first order (or registration) before maturity"),
        "days",
    ),
    "maturity_min_orders": (4, gettext_lazy("Orders in the last 12 months for maturity"), "count"),
    "growth_min_activities": (
        6,
        gettext_lazy("Activities in the last 90 days for growth"),
        "count",
    ),
    "growth_ratio": (
        1.2,
        gettext_lazy("Growth when activities rise by at least this factor"),
        "ratio",
    ),
    "growth_min_contacts": (
        3,
        gettext_lazy("Contacts for growth (and maturity) without sales data"),
        "count",
    ),
    "development_min_contacts": (1, gettext_lazy("Contacts for development"), "count"),
}
DEFAULT_THRESHOLDS: dict[str, Any] = {name: spec[0] for name, spec in THRESHOLDS.items()}


def check_lifecycle_thresholds(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate threshold values (from the settings page or the API); return them cleaned."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in THRESHOLDS:
            errors.setdefault(name, []).append(_("Unknown threshold."))
            continue
        kind = THRESHOLDS[name][2]
        if kind == "codes":
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",")]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.setdefault(name, []).append(_("Enter status codes separated by commas."))
                continue
            clean[name] = [v for v in value if v]
        elif kind == "ratio":
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = -1.0
            if not 0 < number <= 10:
                errors.setdefault(name, []).append(_("Enter a number above 0 and at most 10."))
                continue
            clean[name] = number
        else:
            if isinstance(value, bool) or not isinstance(value, int | str):
                value = None
            try:
                number = int(value) if value is not None else -1
            except ValueError:
                number = -1
            if not 0 <= number <= 36500:
                errors.setdefault(name, []).append(_("Enter a whole number from 0 to 36500."))
                continue
            clean[name] = number
    merged = DEFAULT_THRESHOLDS | clean
    if (
        not errors
        and merged["decline_inactive_days"] > merged["termination_inactive_days"]
        and "decline_inactive_days" in clean
    ):
        errors["decline_inactive_days"] = [
            _("Decline must come before termination: enter fewer days than for termination.")
        ]
    if not errors and merged["active_days"] >= merged["decline_inactive_days"]:
        errors["active_days"] = [_("Enter fewer days than the days before decline.")]
    if errors:
        raise ValidationError(errors)
    return clean


def _settings_row() -> LifecycleSettings:
    row = LifecycleSettings.objects.filter(pk=1).first()
    if row is None:
        try:
            with transaction.atomic():
                row = LifecycleSettings(pk=1)
                row.save(force_insert=True)
        except IntegrityError:
            row = LifecycleSettings.objects.get(pk=1)
    return row


def get_lifecycle_thresholds() -> dict[str, Any]:
    """The thresholds in force: the documented defaults overlaid with the saved values."""
    row = LifecycleSettings.objects.filter(pk=1).only("thresholds").first()
    saved = row.thresholds if row is not None else {}
    return DEFAULT_THRESHOLDS | {k: v for k, v in saved.items() if k in THRESHOLDS}


@transaction.atomic
def save_lifecycle_thresholds(
    *, values: Mapping[str, Any], user, version: int | None = None
) -> LifecycleSettings:
    """Save thresholds (audited, versioned); the next recompute uses them."""
    clean = check_lifecycle_thresholds(values)
    _settings_row()
    row = LifecycleSettings.objects.select_for_update().get(pk=1)
    if version is not None and version != row.version:
        raise StaleObjectError(row)
    row.thresholds = {k: v for k, v in (row.thresholds | clean).items() if k in THRESHOLDS}
    row.save()
    return row


# --- Signals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignalProvider:
    name: str
    fn: Callable[[list[int]], dict[int, Any]]
    label: Any = ""


LIFECYCLE_SIGNALS: dict[str, SignalProvider] = registry.store("lifecycle_signals")


def register_lifecycle_signal(
    name: str, fn_bulk: Callable[[list[int]], dict[int, Any]], *, label: Any = ""
) -> SignalProvider:
    """Register a bulk signal provider: ``fn_bulk(customer_ids) -> {customer_id: value}``.

    It must answer any number of ids in a constant number of queries (the recompute calls it
    once per chunk of customers). Registering a name again replaces the provider.
    """
    provider = SignalProvider(name=name, fn=fn_bulk, label=label or name)
    LIFECYCLE_SIGNALS[name] = provider
    return provider


def unregister_lifecycle_signal(name: str) -> None:
    LIFECYCLE_SIGNALS.pop(name, None)


def compute_signals(customer_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """{customer_id: {signal: value}}; a signal without a provider is absent from the dict."""
    ids = list(customer_ids)
    result: dict[int, dict[str, Any]] = {cid: {} for cid in ids}
    if not ids:
        return result
    for name, provider in LIFECYCLE_SIGNALS.items():
        values = provider.fn(ids)
        for cid in ids:
            result[cid][name] = values.get(cid)
    return result


def _days_since_created(ids: list[int]) -> dict[int, int]:
    today = timezone.localdate()
    return {
        pk: (today - day).days
        for pk, day in Customer.objects.filter(pk__in=ids).values_list("pk", "registered_on")
        if day is not None
    }


def _status(ids: list[int]) -> dict[int, str | None]:
    return {
        pk: status or None
        for pk, status in Customer.objects.filter(pk__in=ids).values_list("pk", "status")
    }


def _days_since_audit_change(ids: list[int]) -> dict[int, int]:
    """Days since the last edit of the customer, lifecycle and owner changes not counted (they
    are not a sign of life of the customer relationship)."""
    ct = ContentType.objects.get_for_model(Customer)
    now = timezone.now()
    rows = (
        AuditLog.objects.filter(content_type=ct, object_id__in=[str(i) for i in ids])
        .exclude(
            Q(action=AuditLog.Action.UPDATE)
            & (
                Q(changes__has_key="lifecycle_stage")
                | Q(changes__has_key="lifecycle_overridden")
                | Q(changes__has_key="owner_id")
            )
        )
        .values("object_id")
        .annotate(last=Max("timestamp"))
        .values_list("object_id", "last")
    )
    return {int(oid): max(0, (now - last).days) for oid, last in rows}


def _contacts_count(ids: list[int]) -> dict[int, int]:
    counts = dict(
        Contact.objects.filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    return {cid: counts.get(cid, 0) for cid in ids}


register_lifecycle_signal(
    "days_since_created", _days_since_created, label=gettext_lazy("Days since registration")
)
register_lifecycle_signal("status", _status, label=gettext_lazy("Customer status"))
register_lifecycle_signal(
    "days_since_audit_change",
    _days_since_audit_change,
    label=gettext_lazy("Days since the last edit"),
)
register_lifecycle_signal("contacts_count", _contacts_count, label=gettext_lazy("Contacts"))


def _happened():
    """Activities that count as contact: done or planned up to now, never cancelled ones."""
    return Activity.objects.exclude(status=Activity.Status.CANCELLED).filter(
        start_at__lte=timezone.now()
    )


def _days_since_last_activity(ids: list[int]) -> dict[int, int | None]:
    now = timezone.now()
    rows = (
        _happened()
        .filter(customer_id__in=ids)
        .values("customer_id")
        .annotate(last=Max("start_at"))
        .values_list("customer_id", "last")
    )
    last = dict(rows)
    return {cid: (max(0, (now - last[cid]).days) if cid in last else None) for cid in ids}


def _activity_counts(ids: list[int]) -> dict[int, tuple[int, int]]:
    now = timezone.now()
    recent = now - datetime.timedelta(days=90)
    previous = now - datetime.timedelta(days=180)
    rows = (
        _happened()
        .filter(customer_id__in=ids, start_at__gt=previous)
        .values("customer_id")
        .annotate(
            last=Count("id", filter=Q(start_at__gt=recent)),
            prev=Count("id", filter=Q(start_at__lte=recent)),
        )
        .values_list("customer_id", "last", "prev")
    )
    counts = {cid: (last, prev) for cid, last, prev in rows}
    return {cid: counts.get(cid, (0, 0)) for cid in ids}


def _activities_last_90d(ids: list[int]) -> dict[int, int]:
    return {cid: pair[0] for cid, pair in _activity_counts(ids).items()}


def _activities_prev_90d(ids: list[int]) -> dict[int, int]:
    return {cid: pair[1] for cid, pair in _activity_counts(ids).items()}


register_lifecycle_signal(
    "days_since_last_activity",
    _days_since_last_activity,
    label=gettext_lazy("Days since the last activity"),
)
register_lifecycle_signal(
    "activities_last_90d", _activities_last_90d, label=gettext_lazy("Activities, last 90 days")
)
register_lifecycle_signal(
    "activities_prev_90d",
    _activities_prev_90d,
    label=gettext_lazy("Activities, the 90 days before"),
)


# --- Rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageDecision:
    stage: str
    reason: str
    detail: dict = field(default_factory=dict)


#: reason code → (stage it leads to or "" for several, explanation); shown in the history card.
RULES: dict[str, tuple[str, Any]] = {
    "status_lost": (S.TERMINATION, gettext_lazy("The customer status is a lost status.")),
    "inactive_long": (
        S.TERMINATION,
        gettext_lazy("No sign of life for the termination period and no order in 12 months."),
    ),
    "status_dormant": (S.DECLINE, gettext_lazy("The customer status is a dormant status.")),
    "inactive": (S.DECLINE, gettext_lazy("No sign of life for the decline period.")),
    "sales_drop": (S.DECLINE, gettext_lazy("Orders fell well below the previous 12 months.")),
    "payments_drop": (
        S.DECLINE,
        gettext_lazy("Payments fell well below the previous 12 months."),
    ),
    "activity_drop": (
        S.DECLINE,
        gettext_lazy("Activities fell well below the previous 90 days."),
    ),
    "reactivated": (S.RECOVERY, gettext_lazy("Active again after decline or termination.")),
    "not_recovered": ("", gettext_lazy("Not active enough yet to count as recovering.")),
    "recovering": (S.RECOVERY, gettext_lazy("Still within the recovery period.")),
    "mature_buyer": (
        S.MATURITY,
        gettext_lazy("Buying for long enough and often enough in the last 12 months."),
    ),
    "mature_relationship": (
        S.MATURITY,
        gettext_lazy("A long, active relationship with several contacts (no sales data)."),
    ),
    "buying": (S.GROWTH, gettext_lazy("Ordered in the last 12 months.")),
    "activity_growth": (S.GROWTH, gettext_lazy("Activities are rising.")),
    "engaged": (
        S.GROWTH,
        gettext_lazy("Several contacts and recently active (no sales data)."),
    ),
    "in_contact": (S.DEVELOPMENT, gettext_lazy("Contacts or activities exist.")),
    "new": (S.PROSPECT, gettext_lazy("No contact, activity or order yet.")),
    "no_regression": ("", gettext_lazy("Kept: a customer does not move back without decline.")),
    "manual": ("", gettext_lazy("Set by hand.")),
    "override_cleared": ("", gettext_lazy("Set by hand no more; the rules apply again.")),
}

POSITIVE = [S.PROSPECT, S.DEVELOPMENT, S.GROWTH, S.MATURITY]


def _num(signals: Mapping[str, Any], name: str) -> float | None:
    value = signals.get(name)
    return None if value is None or isinstance(value, bool) else value


def _recency(signals: Mapping[str, Any]) -> tuple[float | None, str]:
    """Days since the last sign of life: the last activity (or, without the activities
    provider or any activity, the last edit), or the last order when that is more recent."""
    activity = _num(signals, "days_since_last_activity")
    source = "days_since_last_activity"
    if activity is None:
        activity, source = _num(signals, "days_since_audit_change"), "days_since_audit_change"
    order = _num(signals, "days_since_last_order")
    if order is not None and (activity is None or order < activity):
        return order, "days_since_last_order"
    return activity, source


def evaluate_stage(
    signals: Mapping[str, Any],
    *,
    current: str = S.PROSPECT,
    days_in_stage: int | None = None,
    thresholds: Mapping[str, Any] | None = None,
) -> StageDecision:
    """The stage a customer should be in: the first rule that fires, in the documented order.

    Pure: no database access. Missing (absent or ``None``) signals make their rules not fire.
    """
    t = DEFAULT_THRESHOLDS | dict(thresholds or {})
    recency, recency_source = _recency(signals)
    status = signals.get("status")
    orders_last, orders_prev = _num(signals, "orders_last_12m"), _num(signals, "orders_prev_12m")
    pay_last, pay_prev = _num(signals, "payments_last_12m"), _num(signals, "payments_prev_12m")
    act_last, act_prev = _num(signals, "activities_last_90d"), _num(signals, "activities_prev_90d")
    first_order = _num(signals, "days_since_first_order")
    age = _num(signals, "days_since_created")
    contacts = _num(signals, "contacts_count")
    has_sales = "orders_last_12m" in signals
    used = {k: v for k, v in signals.items() if v is not None}
    missing = sorted(
        name
        for name in (
            "days_since_last_activity",
            "activities_last_90d",
            "orders_last_12m",
            "days_since_first_order",
        )
        if name not in signals
    )

    def decide(stage: str, reason: str) -> StageDecision:
        detail = {"rule": reason, "signals": used, "missing": missing}
        if recency is not None:
            detail["recency"] = {"days": recency, "source": recency_source}
        return StageDecision(stage=str(stage), reason=reason, detail=detail)

    # Termination and decline
    if status and status in t["lost_statuses"]:
        return decide(S.TERMINATION, "status_lost")
    if recency is not None and recency >= t["termination_inactive_days"] and not orders_last:
        return decide(S.TERMINATION, "inactive_long")
    if status and status in t["dormant_statuses"]:
        return decide(S.DECLINE, "status_dormant")
    if recency is not None and recency >= t["decline_inactive_days"]:
        return decide(S.DECLINE, "inactive")
    if (
        orders_prev is not None
        and orders_last is not None
        and orders_prev >= t["min_previous"]
        and orders_last < orders_prev * t["drop_ratio"]
    ):
        return decide(S.DECLINE, "sales_drop")
    if pay_prev and pay_last is not None and pay_last < pay_prev * t["drop_ratio"]:
        return decide(S.DECLINE, "payments_drop")
    if (
        act_prev is not None
        and act_last is not None
        and act_prev >= t["min_previous"]
        and act_last < act_prev * t["drop_ratio"]
    ):
        return decide(S.DECLINE, "activity_drop")

    # Recovery: back to life after decline or termination
    if current in (S.DECLINE, S.TERMINATION):
        if recency is not None and recency <= t["active_days"]:
            return decide(S.RECOVERY, "reactivated")
        return decide(current, "not_recovered")
    if current == S.RECOVERY and (days_in_stage is None or days_in_stage < t["recovery_hold_days"]):
        return decide(S.RECOVERY, "recovering")

    # Prospect → development → growth → maturity
    active = recency is not None and recency <= t["active_days"]
    if (
        first_order is not None
        and orders_last is not None
        and first_order >= t["maturity_min_days"]
        and orders_last >= t["maturity_min_orders"]
    ):
        decision = decide(S.MATURITY, "mature_buyer")
    elif (
        not has_sales
        and age is not None
        and age >= t["maturity_min_days"]
        and contacts is not None
        and contacts >= t["growth_min_contacts"]
        and active
        and (act_last is None or act_last >= 1)
    ):
        decision = decide(S.MATURITY, "mature_relationship")
    elif orders_last is not None and orders_last >= 1:
        decision = decide(S.GROWTH, "buying")
    elif (
        act_last is not None
        and act_last >= t["growth_min_activities"]
        and act_last >= (act_prev or 0) * t["growth_ratio"]
    ):
        decision = decide(S.GROWTH, "activity_growth")
    elif not has_sales and contacts is not None and contacts >= t["growth_min_contacts"] and active:
        decision = decide(S.GROWTH, "engaged")
    elif (contacts is not None and contacts >= t["development_min_contacts"]) or (
        act_last is not None and act_last >= 1
    ):
        decision = decide(S.DEVELOPMENT, "in_contact")
    else:
        decision = decide(S.PROSPECT, "new")
    if current in POSITIVE and POSITIVE.index(current) > POSITIVE.index(decision.stage):
        return decide(current, "no_regression")
    return decision


# --- Recompute ----------------------------------------------------------------------------------


def _days_in_stage(since: datetime.datetime | None, now: datetime.datetime) -> int | None:
    return None if since is None else max(0, (now - since).days)


def _apply_chunk(rows: list[tuple[int, str, Any]], thresholds, user, now) -> dict[str, int]:
    """Evaluate one chunk and write the changes: a constant number of queries per chunk."""
    signals = compute_signals([pk for pk, _stage, _since in rows])
    by_stage: dict[str, list[int]] = {}
    history: list[LifecycleChange] = []
    for pk, stage, since in rows:
        decision = evaluate_stage(
            signals[pk],
            current=stage,
            days_in_stage=_days_in_stage(since, now),
            thresholds=thresholds,
        )
        if decision.stage == stage:
            continue
        by_stage.setdefault(decision.stage, []).append(pk)
        history.append(
            LifecycleChange(
                customer_id=pk,
                from_stage=stage,
                to_stage=decision.stage,
                reason=decision.reason,
                detail=decision.detail,
                automatic=True,
                user=user,
                changed_at=now,
            )
        )
    for stage, ids in by_stage.items():
        bulk_update_audited(
            Customer.objects.filter(pk__in=ids), lifecycle_stage=stage, lifecycle_since=now
        )
    LifecycleChange.objects.bulk_create(history)
    return {stage: len(ids) for stage, ids in by_stage.items()}


def recompute_lifecycle(
    *,
    customer_ids: Iterable[int] | None = None,
    chunk_size: int = 2000,
    user=None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Recompute the stage of every customer (or of ``customer_ids``) not set by hand.

    Each chunk is its own transaction: a long run commits as it goes and a failure loses only
    the chunk it happened in. Returns {new stage: customers moved into it}.
    """
    thresholds = get_lifecycle_thresholds()
    now = timezone.now()
    moved: dict[str, int] = {}
    base = Customer.objects.filter(lifecycle_overridden=False)
    if customer_ids is not None:
        base = base.filter(pk__in=list(customer_ids))
    last = 0
    done = 0
    while True:
        rows = list(
            base.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "lifecycle_stage", "lifecycle_since")[:chunk_size]
        )
        if not rows:
            break
        with transaction.atomic():
            for stage, n in _apply_chunk(rows, thresholds, user, now).items():
                moved[stage] = moved.get(stage, 0) + n
        last = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(done)
    return moved


def recompute_customer_lifecycle(*, customer: Customer, user=None) -> Customer:
    """Recompute one customer now (after an edit, or from its page); a manual stage sticks."""
    recompute_lifecycle(customer_ids=[customer.pk], user=user)
    # A fresh instance, not refresh_from_db(): that keeps the audit baseline of the old values.
    return Customer.objects.get(pk=customer.pk)


@transaction.atomic
def override_lifecycle_stage(*, customer: Customer, stage: str, reason: str, user) -> Customer:
    """Set the stage by hand; it stays until the override is cleared (the rules skip it)."""
    reason = (reason or "").strip()
    errors = {}
    if stage not in S.values:
        errors["stage"] = _("Choose one of the lifecycle stages.")
    if not reason:
        errors["reason"] = _("Say why the stage is set by hand.")
    if errors:
        raise ValidationError(errors)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    old = customer.lifecycle_stage
    now = timezone.now()
    customer.lifecycle_stage = stage
    customer.lifecycle_overridden = True
    if old != stage:
        customer.lifecycle_since = now
    customer.save()
    LifecycleChange.objects.create(
        customer=customer,
        from_stage=old,
        to_stage=stage,
        reason="manual",
        detail={"note": reason},
        automatic=False,
        user=user,
        changed_at=now,
    )
    return customer


@transaction.atomic
def clear_lifecycle_override(*, customer: Customer, user) -> Customer:
    """Hand the stage back to the rules, and apply them at once."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.lifecycle_overridden:
        return customer
    customer.lifecycle_overridden = False
    customer.save()
    LifecycleChange.objects.create(
        customer=customer,
        from_stage=customer.lifecycle_stage,
        to_stage=customer.lifecycle_stage,
        reason="override_cleared",
        automatic=False,
        user=user,
    )
    return recompute_customer_lifecycle(customer=customer, user=user)


def stage_counts(user) -> list[tuple[str, Any, int]]:
    """[(stage, label, customers)] among the customers ``user`` may see, in stage order."""
    counts = dict(
        Customer.objects.visible_to(user)
        .order_by()
        .values("lifecycle_stage")
        .annotate(n=Count("id"))
        .values_list("lifecycle_stage", "n")
    )
    return [(stage, label, counts.get(stage, 0)) for stage, label in S.choices]
