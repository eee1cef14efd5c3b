"""Lead business rules: saving (scored, assigned), status changes, web-form submissions,
scoring and assignment rules, bulk assignment and the conversion into customer + contact +
opportunity. Pages, the API, imports and tasks all call these."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.actions import bulk_save_audited, bulk_update_audited
from kehu.core.audit import unaudited_write
from kehu.core.context import acting_as, get_request_id
from kehu.core.registry import get_object_type
from kehu.customers.actions.handover import assignees, check_reassign, tell_new_owner
from kehu.system.models import User

from ..models import Opportunity, Pipeline, Stage
from ..models.leads import (
    WEB_FORM_SOURCE,
    Lead,
    LeadAssignmentRule,
    LeadScoringRule,
    WebForm,
)

__all__ = [
    "LeadError",
    "assign_leads",
    "convert_lead",
    "customer_duplicates",
    "default_pipeline_stage",
    "lead_assignees",
    "my_new_leads",
    "pick_owner",
    "recompute_scores",
    "save_lead",
    "score_of",
    "stale_cutoff",
    "submit_web_form",
    "web_form_rate_ok",
]


class LeadError(StrEnum):
    """Error codes of the lead rules (the ``code`` of the ValidationErrors they raise)."""

    CONVERT_BY_ACTION = "convert_by_action"
    ALREADY_CONVERTED = "already_converted"
    DISQUALIFIED = "disqualified"
    REASON_REQUIRED = "reason_required"
    REACH_REQUIRED = "reach_required"
    NO_OWNER = "no_owner"
    CUSTOMER_NOT_VISIBLE = "customer_not_visible"
    CUSTOMER_CHOICE = "customer_choice"
    FORM_INACTIVE = "form_inactive"


# --- scoring ---------------------------------------------------------------------------------


def active_scoring_rules() -> list[LeadScoringRule]:
    return list(LeadScoringRule.objects.filter(active=True).order_by("id"))


def _meets(rule: LeadScoringRule, lead: Lead) -> bool:
    value = str(getattr(lead, rule.field, "") or "").strip()
    wanted = (rule.value or "").strip()
    C = LeadScoringRule.Condition
    if rule.condition == C.IS_SET:
        return bool(value)
    if rule.condition == C.IS_EMPTY:
        return not value
    if rule.condition == C.EQUALS:
        return value.casefold() == wanted.casefold()
    if rule.condition == C.NOT_EQUALS:
        return value.casefold() != wanted.casefold()
    if rule.condition == C.CONTAINS:
        return bool(wanted) and wanted.casefold() in value.casefold()
    return False


def score_of(lead: Lead, rules: Iterable[LeadScoringRule] | None = None) -> int:
    """The sum of the points of the active rules ``lead`` meets."""
    rules = active_scoring_rules() if rules is None else rules
    return sum(rule.points for rule in rules if _meets(rule, lead))


def recompute_scores(*, progress=None, chunk: int = 2000) -> int:
    """Score every lead again with the current rules (after a rule changed); only changed
    scores are written (audited). Returns how many leads changed."""
    rules = active_scoring_rules()
    ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            leads = list(Lead.objects.filter(pk__in=ids[start : start + chunk]).order_by("pk"))
            dirty = []
            for lead in leads:
                new = score_of(lead, rules)
                if new != lead.score:
                    lead.score = new
                    dirty.append(lead)
            if dirty:
                bulk_save_audited(dirty, ["score"])
            changed += len(dirty)
        if progress is not None:
            progress(min(start + chunk, len(ids)), len(ids))
    return changed


def schedule_rescore(*, user) -> None:
    """A scoring rule changed: score all leads again in the background (after the commit)."""
    from kehu.core.actions import start_job

    from ..tasks.leads import rescore_leads_job

    start_job(
        user=user,
        kind="lead_scores",
        title=_("Recompute of lead scores"),
        task=rescore_leads_job,
        params={},
    )


@transaction.atomic
def save_scoring_rule(rule: LeadScoringRule, *, user) -> LeadScoringRule:
    C = LeadScoringRule.Condition
    if rule.condition in (C.EQUALS, C.NOT_EQUALS, C.CONTAINS) and not rule.value.strip():
        raise ValidationError({"value": _("This condition needs a value.")}, code="value")
    rule.full_clean()
    rule.save()
    schedule_rescore(user=user)
    return rule


@transaction.atomic
def delete_scoring_rule(*, user, obj: LeadScoringRule) -> None:
    from kehu.core.audit import delete_record

    delete_record(obj=obj, user=user)
    schedule_rescore(user=user)


# --- assignment ------------------------------------------------------------------------------


def _rule_applies(rule: LeadAssignmentRule, lead: Lead) -> bool:
    if not rule.match_field:
        return True
    value = str(getattr(lead, rule.match_field, "") or "").strip().casefold()
    wanted = {v.strip().casefold() for v in rule.match_values.replace("，", ",").split(",")}
    wanted.discard("")
    return bool(value) and value in wanted


def _rule_people(rule: LeadAssignmentRule) -> list[User]:
    """The rule's people in a stable order (by id): its chosen members, else the active
    members of its department."""
    people = rule.members.filter(is_active=True, department__isnull=False)
    if not people.exists() and rule.department_id:
        people = User.objects.filter(department_id=rule.department_id, is_active=True)
    return list(people.order_by("pk"))


def _open_counts(people: list[User]) -> dict[int, int]:
    rows = (
        Lead.objects.filter(owner__in=people, status__in=Lead.OPEN_STATUSES)
        .values("owner")
        .annotate(n=Count("pk"))
    )
    return {row["owner"]: row["n"] for row in rows}


def pick_owner(lead: Lead) -> User | None:
    """The owner the first matching active assignment rule gives ``lead`` (and the rule's
    turn advanced), or None when no rule applies. Call inside the saving transaction: the
    rule's row is locked so two leads arriving at once do not get the same person in turn."""
    for rule in LeadAssignmentRule.objects.filter(active=True).order_by("position", "pk"):
        if not _rule_applies(rule, lead):
            continue
        people = _rule_people(rule)
        if not people:
            continue
        locked = LeadAssignmentRule.objects.select_for_update().get(pk=rule.pk)
        if rule.method == LeadAssignmentRule.Method.LEAST_LOADED:
            counts = _open_counts(people)
            chosen = min(people, key=lambda p: (counts.get(p.pk, 0), p.pk))
        else:
            after = [
                p for p in people if locked.last_assigned_id and p.pk > locked.last_assigned_id
            ]
            chosen = after[0] if after else people[0]
        # the turn is derived state: no audit entry, and no version bump that would make an
        # administrator's open edit of the rule stale
        with unaudited_write("lead assignment turn"):
            LeadAssignmentRule.objects.filter(pk=locked.pk).update(last_assigned=chosen)
        return chosen
    return None


# --- saving ----------------------------------------------------------------------------------


def _check_status(lead: Lead, before: Lead | None) -> None:
    was = before.status if before is not None else None
    if lead.status == Lead.Status.CONVERTED and was != Lead.Status.CONVERTED:
        raise ValidationError(
            {"status": _("A lead becomes converted only through the conversion page.")},
            code=LeadError.CONVERT_BY_ACTION,
        )
    if was == Lead.Status.CONVERTED and lead.status != Lead.Status.CONVERTED:
        raise ValidationError(
            {"status": _("A converted lead cannot go back to another status.")},
            code=LeadError.ALREADY_CONVERTED,
        )
    if lead.status == Lead.Status.DISQUALIFIED and not lead.disqualified_reason.strip():
        raise ValidationError(
            {"disqualified_reason": _("Say why the lead is disqualified.")},
            code=LeadError.REASON_REQUIRED,
        )
    if lead.status != Lead.Status.DISQUALIFIED:
        lead.disqualified_reason = ""
    if lead.status == Lead.Status.CONTACTED and was != Lead.Status.CONTACTED:
        lead.last_contacted_at = timezone.now()


@transaction.atomic
def save_lead(lead: Lead, *, user, assign: bool = False) -> Lead:
    """Create or update a lead. A new one without an owner is given one by the assignment
    rules (``assign``: web forms and imports) or belongs to ``user``; its department is its
    owner's. The score follows the scoring rules."""
    adding = lead._state.adding
    before = None if adding else Lead.objects.filter(pk=lead.pk).first()
    if adding and not lead.owner_id:
        owner = (pick_owner(lead) if assign else None) or user
        if owner is None:
            raise ValidationError(
                _("Nobody could be made the lead's owner."), code=LeadError.NO_OWNER
            )
        lead.owner = owner
    if adding or not lead.department_id:
        lead.department_id = lead.owner.department_id
    _check_status(lead, before)
    lead.score = score_of(lead)
    lead.full_clean()
    lead.save()
    return lead


def lead_assignees(user):
    """Whom ``user`` may give leads to (the one rule for owner changes by hand)."""
    return assignees(user, Lead)


@transaction.atomic
def assign_leads(*, leads: Iterable[Lead], owner: User | None, user) -> int:
    """Give leads to a colleague by hand (the list's "Reassign selected", the API), all or
    nothing, audited; the new owner hears of it. Returns how many changed hands."""
    ids = sorted({lead.pk for lead in leads})
    if not ids:
        return 0
    check_reassign(
        user=user,
        model=Lead,
        ids=ids,
        owner=owner,
        change_perm="sales.change_lead",
        not_editable=_("You may not edit all of these leads."),
        refused=_("You may not give leads to this employee."),
    )
    moving = Lead.objects.filter(pk__in=ids).exclude(owner=owner)
    first = moving.first()
    with acting_as(user, get_request_id()):
        moved = bulk_update_audited(moving, owner=owner.pk, department=owner.department_id)
    from django.urls import reverse

    tell_new_owner(
        owner=owner,
        user=user,
        moved=moved,
        first=first,
        title_one=_("A lead was given to you"),
        title_many=_("%(count)s leads were given to you") % {"count": moved},
        body=_("By %(user)s.") % {"user": user},
        list_url=reverse("sales:lead_list"),
        kind="lead_assigned",
    )
    return moved


# --- web forms -------------------------------------------------------------------------------

RATE_LIMIT = getattr(settings, "KEHU_WEB_FORM_RATE", (5, 600))  # submissions per IP, seconds


def web_form_rate_ok(ip: str) -> bool:
    """Count a submission from ``ip``; False when it is over the limit (per IP, all forms)."""
    limit, window = RATE_LIMIT
    key = f"kehu:webform:{ip}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count <= limit


@transaction.atomic
def submit_web_form(*, form: WebForm, data: dict) -> Lead:
    """A visitor's submission: a new lead with the form's source and campaign, assigned by
    the rules (the form's fallback owner otherwise). ``data``: name, company, mobile, email,
    city, notes — already cleaned by the public form."""
    if not form.active:
        raise ValidationError(_("This form is closed."), code=LeadError.FORM_INACTIVE)
    if not (data.get("mobile") or data.get("email")):
        raise ValidationError(
            _("Give a mobile number or an e-mail address so that we can reach you."),
            code=LeadError.REACH_REQUIRED,
        )
    lead = Lead(
        name=data["name"],
        company=data.get("company", ""),
        title=data.get("title", ""),
        mobile=data.get("mobile", ""),
        email=data.get("email", ""),
        city=data.get("city", ""),
        notes=data.get("notes", ""),
        source=form.source or WEB_FORM_SOURCE,
        campaign=form.campaign,
        web_form=form,
    )
    with acting_as(None, get_request_id()):
        lead = save_lead(lead, user=form.fallback_owner, assign=True)
    from kehu.core.actions import notify

    notify(
        recipients=[lead.owner],
        title=_("New lead from the web form %(form)s") % {"form": form.name},
        body=str(lead),
        link=lead.get_absolute_url(),
        kind="lead_new",
    )
    return lead


# --- lists -----------------------------------------------------------------------------------


def stale_cutoff(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def stale_q(days: int) -> Q:
    """Open leads nobody contacted in ``days`` days (since creation when never)."""
    cutoff = stale_cutoff(days)
    return Q(status__in=Lead.OPEN_STATUSES) & (
        Q(last_contacted_at__lt=cutoff) | Q(last_contacted_at__isnull=True, created_at__lt=cutoff)
    )


STALE_DAYS = 14  # the dashboard card's "not contacted for" days


def my_new_leads(user, *, limit: int = 6) -> dict:
    """The data of the "my new leads" dashboard card: the user's new leads, best scored first,
    and how many of their open leads nobody contacted for ``STALE_DAYS`` days."""
    mine = Lead.objects.visible_to(user).filter(owner=user)
    new = mine.filter(status=Lead.Status.NEW)
    return {
        "count": new.count(),
        "leads": list(new.order_by("-score", "-pk")[:limit]),
        "stale_count": mine.filter(stale_q(STALE_DAYS)).count(),
        "days": STALE_DAYS,
    }


def my_new_leads_card(request) -> dict:
    from urllib.parse import urlencode

    from django.urls import reverse

    user = request.user
    data = my_new_leads(user)
    base = reverse("sales:lead_list")
    data["list_url"] = f"{base}?{urlencode({'owner': user.pk, 'status': 'new', 'sort': '-score'})}"
    data["stale_url"] = f"{base}?{urlencode({'owner': user.pk, 'stale': STALE_DAYS})}"
    return data


# --- conversion ------------------------------------------------------------------------------


@dataclass
class Duplicate:
    """An existing customer that looks like the lead's company; ``visible`` False: the user
    may not see it (only its owner is named)."""

    customer_id: int
    name: str
    owner: str
    score: float
    explanation: dict
    visible: bool
    via_contact: bool = False
    url: str = ""


def customer_values(lead: Lead) -> dict:
    """The lead as a customer's identity. A person's mobile is not compared with a company's
    main phone (it would only count against the match)."""
    return {
        "name": lead.company or lead.name,
        "kind": "company" if lead.company else "individual",
        "phone": lead.phone or ("" if lead.company else lead.mobile),
        "email": "" if lead.company else lead.email,
        "city": lead.city,
        "address": "",
    }


def contact_values(lead: Lead) -> dict:
    return {
        "name": lead.name,
        "mobile": lead.mobile,
        "office_phone": lead.phone,
        "home_phone": "",
        "email": lead.email,
        "customer_id": None,
        "customer__name": lead.company,
    }


def _scored(kind: str, values: dict, model) -> list[tuple[float, dict, int]]:
    """(score, explanation, id) of the records of ``model`` (all of them, not only the
    user's) that look like ``values``: the customers app's blocking keys and scoring."""
    from kehu.customers import matching
    from kehu.customers.actions.matching import (
        CHECK_THRESHOLD,
        load_profiles,
        neighbours,
        profile_of,
    )

    probe = profile_of(kind, values)
    ids = neighbours(kind, probe.keys)
    if not ids:
        return []
    out = []
    for profile in load_profiles(kind, model.objects.filter(pk__in=ids)):
        score = matching.compare(probe, profile)
        if score.total >= CHECK_THRESHOLD:
            out.append((score.total, score.explanation, profile.id))
    return out


def customer_duplicates(lead: Lead, *, user, limit: int = 5) -> list[Duplicate]:
    """Existing customers (company-wide, not only the user's) that look like the lead's
    company, or that have a contact who looks like the lead's person, best first — the
    customers app's identity matching. Records the user may not see are named only by their
    owner, so the user knows whom to ask."""
    from kehu.customers.actions.matching import Kind
    from kehu.customers.models import Contact, Customer

    best: dict[int, tuple[float, bool, dict]] = {}
    for score, explanation, pk in _scored(Kind.CUSTOMER, customer_values(lead), Customer):
        best[pk] = (score, False, explanation)
    contacts = _scored(Kind.CONTACT, contact_values(lead), Contact)
    if contacts:
        customer_of = dict(
            Contact.objects.filter(pk__in=[c[2] for c in contacts]).values_list("pk", "customer_id")
        )
        for score, explanation, pk in contacts:
            key = customer_of.get(pk)
            if key is not None and score > best.get(key, (0.0,))[0]:
                best[key] = (score, True, explanation)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    found = Customer.objects.select_related("owner").in_bulk([pk for pk, _v in ranked])
    visible = set(
        Customer.objects.visible_to(user).filter(pk__in=list(found)).values_list("pk", flat=True)
    )
    out = []
    for pk, (score, via_contact, explanation) in ranked:
        customer = found.get(pk)
        if customer is None:
            continue
        seen = pk in visible
        out.append(
            Duplicate(
                customer_id=pk,
                name=customer.name if seen else "",
                owner=str(customer.owner),
                score=score,
                explanation=explanation if seen else {},
                visible=seen,
                via_contact=via_contact,
                url=customer.get_absolute_url() if seen else "",
            )
        )
    return out


def default_pipeline_stage() -> tuple[Pipeline, Stage]:
    """The default pipeline (the pipeline area's, with its standard stages) and its first open
    stage, where a converted lead's opportunity starts."""
    from kehu.sales.actions.pipeline import default_pipeline

    pipeline = default_pipeline()
    stage = pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("position", "pk").first()
    if stage is None:  # every open stage removed by hand: put one back
        stage = Stage(pipeline=pipeline, name=gettext_noop("Initial contact"), probability=10)
        stage.save()
    return pipeline, stage


def _create_opportunity(*, user, data: dict) -> Opportunity:
    """Through the opportunity type's create action (the one audited writer), looked up in the
    registry because the pipeline area registers it after this module is imported."""
    from kehu.core.registry import get_object_type

    return get_object_type(Opportunity).actions.create(user=user, data=data)


@transaction.atomic
def convert_lead(
    *,
    lead: Lead,
    user,
    customer=None,
    create_opportunity: bool = True,
    opportunity_name: str = "",
    amount=None,
    expected_close: datetime.date | None = None,
) -> Lead:
    """Qualify and convert a lead in one step: a new customer (``customer`` None) or the
    existing one given (which the user must see), a contact for the lead's person, and
    optionally an opportunity in the default pipeline — all through the customers' and
    opportunities' create actions, in one transaction, audited. Refused twice."""
    from kehu.customers.models import Contact, Customer

    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if not Lead.objects.editable_by(user).filter(pk=lead.pk).exists():
        raise PermissionDenied(_("You may not edit this lead."))
    if locked.status == Lead.Status.CONVERTED:
        raise ValidationError(
            _("This lead has already been converted."), code=LeadError.ALREADY_CONVERTED
        )
    if locked.status == Lead.Status.DISQUALIFIED:
        raise ValidationError(
            _("A disqualified lead cannot be converted; set it back to qualified first."),
            code=LeadError.DISQUALIFIED,
        )
    lead = locked
    if customer is None:
        if not user.has_perm("customers.add_customer"):
            raise PermissionDenied(_("You may not create customers."))
        values = customer_values(lead)
        values.pop("address")
        data = {
            **values,
            "industry": lead.industry,
            "notes": lead.notes,
            "owner": lead.owner,
            "department": lead.department,
        }
        customer = get_object_type(Customer).actions.create(user=user, data=data)
    elif not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise ValidationError(
            {"customer": _("Choose a customer you may see.")}, code=LeadError.CUSTOMER_NOT_VISIBLE
        )
    if not user.has_perm("customers.add_contact"):
        raise PermissionDenied(_("You may not create contacts."))
    contact = get_object_type(Contact).actions.create(
        user=user,
        data={
            "customer": customer,
            "name": lead.name,
            "title": lead.title,
            "mobile": lead.mobile,
            "office_phone": lead.phone,
            "email": lead.email,
            "is_primary": not Contact.objects.filter(customer=customer).exists(),
        },
    )
    opportunity = None
    if create_opportunity:
        if not user.has_perm("sales.add_opportunity"):
            raise PermissionDenied(_("You may not create opportunities."))
        pipeline, stage = default_pipeline_stage()
        data = {
            "name": opportunity_name.strip() or (lead.company or lead.name),
            "customer": customer,
            "contact": contact,
            "pipeline": pipeline,
            "stage": stage,
            "source": lead.source,
            "owner": lead.owner,
            "department": lead.department,
        }
        if amount is not None:
            data["amount"] = amount
        if expected_close is not None:
            data["expected_close"] = expected_close
        opportunity = _create_opportunity(user=user, data=data)
    lead.status = Lead.Status.CONVERTED
    lead.converted_customer = customer
    lead.converted_contact = contact
    lead.converted_opportunity = opportunity
    lead.converted_at = timezone.now()
    lead.save()
    return lead
