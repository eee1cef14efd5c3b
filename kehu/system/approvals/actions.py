"""Approval business rules: ask, resolve approvers, decide, withdraw, and the lock while pending.

Every write is a ``BaseModel`` save (audited by the one writer), in one transaction with the
kind's callback and the inbox notices."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.actions import notify
from kehu.core.models import Notification

from .kinds import ApprovalKind, get_kind
from .models import DECIDE_ANY, ApprovalRequest, ApprovalStatus, ApprovalStep

#: Default roles whose members head their department (the default approvers after a manager).
HEAD_ROLES = ("sales_manager", "branch_manager", "director")
ADMIN_ROLE = "administrator"


class ApprovalError:
    """Codes of the ``ValidationError``s raised here."""

    PENDING = "approval_pending"
    NO_APPROVER = "no_approver"
    NOT_PENDING = "approval_not_pending"
    OTHER_PENDING = "other_approval_pending"


# --- who approves -------------------------------------------------------------------------------


def _users():
    from ..models import User

    return User.objects.filter(is_active=True)


def _nearest(holders, person) -> list:
    """The holders in ``person``'s department, else in the nearest department above it."""
    dept = person.department
    if dept is None:
        return []
    paths = dept.ancestor_paths()
    found: dict[str, list] = {}
    for user in holders.filter(department__path__in=paths).select_related("department"):
        found.setdefault(user.department.path, []).append(user)
    for path in reversed(paths):
        if found.get(path):
            return sorted(found[path], key=lambda u: u.pk)
    return []


def role_holders(role_code: str):
    """Active employees holding the role directly or through their department (or one above)."""
    from ..models import Role

    role = Role.objects.filter(name=role_code).first()
    if role is None:
        return _users().none()
    cond = Q(roles=role)
    for path in role.departments.values_list("path", flat=True):
        cond |= Q(department__path__startswith=path)
    return _users().filter(cond).distinct()


def resolve_approvers(*, kind: ApprovalKind, person, exclude: set[int] = frozenset()) -> list:
    """Who decides a step of ``kind`` asked by (or passed on from) ``person``.

    With ``kind.approver_role``: its holders, the nearest ones up ``person``'s department tree
    first (any holder if none is above). Without: ``person``'s manager, else the members of
    ``person``'s department holding a head role, else those of the department above, and so
    on. Nobody: the administrators. ``exclude`` (the requester, who already decided) never
    approves."""
    exclude = set(exclude) | {person.pk}
    if kind.approver_role:
        holders = role_holders(kind.approver_role).exclude(pk__in=exclude)
        found = _nearest(holders, person) or sorted(holders, key=lambda u: u.pk)
        if found:
            return found
    else:
        manager = person.manager
        if manager is not None and manager.is_active and manager.pk not in exclude:
            return [manager]
        heads = _users().filter(roles__name__in=HEAD_ROLES).exclude(pk__in=exclude).distinct()
        found = _nearest(heads, person)
        if found:
            return found
    admins = (
        _users()
        .filter(Q(is_superuser=True) | Q(roles__name=ADMIN_ROLE))
        .exclude(pk__in=exclude)
        .distinct()
        .order_by("pk")
    )
    return list(admins)


# --- the record's lock --------------------------------------------------------------------------


def pending_approval(record: models.Model) -> ApprovalRequest | None:
    """The request pending on ``record``, if any (the record is locked while there is one)."""
    if record is None or record.pk is None:
        return None
    return ApprovalRequest.objects.for_record(record).pending().first()


def _locked_message(request: ApprovalRequest) -> str:
    return _(
        "“%(record)s” is waiting for approval (%(kind)s) and cannot be changed until the "
        "request is approved, rejected or withdrawn."
    ) % {"record": request.record_label or request.object_id, "kind": request.kind_label}


def ensure_not_locked(record: models.Model) -> None:
    """Refuse a change to ``record`` while an approval is pending on it."""
    request = pending_approval(record)
    if request is not None:
        raise ValidationError(_locked_message(request), code=ApprovalError.PENDING)


def write_guard(*, model, pks, action: str) -> None:
    """The framework's write guard (``kehu.core.saving.guard_writes``): any record type's update
    or delete through its actions is refused while a request is pending on the record."""
    if model is ApprovalRequest or model is ApprovalStep:
        return
    ct = ContentType.objects.get_for_model(model)
    request = (
        ApprovalRequest.objects.filter(
            content_type=ct, object_id__in=list(pks), status=ApprovalStatus.PENDING
        )
        .order_by("pk")
        .first()
    )
    if request is not None:
        raise ValidationError(_locked_message(request), code=ApprovalError.PENDING)


# --- links and notices --------------------------------------------------------------------------


def request_url(request: ApprovalRequest) -> str:
    return reverse("system:approval_detail", args=[request.pk])


def record_url(request: ApprovalRequest) -> str:
    """The record's detail page, when its type has one."""
    from kehu.core.registry import find_object_type

    model = request.content_type.model_class()
    ot = find_object_type(model) if model is not None else None
    if ot is None:
        return ""
    try:
        return reverse(ot.url_name("detail"), args=[request.object_id])
    except Exception:  # noqa: BLE001 - a type without a detail page: no link
        return ""


def _notify_approvers(request: ApprovalRequest, approvers: list) -> None:
    notify(
        recipients=approvers,
        title=_("Approval needed: %(summary)s") % {"summary": request.summary},
        body=_("%(person)s asks for approval (%(kind)s) of “%(record)s”.")
        % {
            "person": request.requested_by,
            "kind": request.kind_label,
            "record": request.record_label,
        },
        link=request_url(request),
        level=Notification.Level.WARNING,
        kind="approval",
        dedupe_key=f"approval:{request.pk}:{request.current_step}",
    )


def _notify_requester(request: ApprovalRequest, user) -> None:
    approved = request.status == ApprovalStatus.APPROVED
    title = (_("Approved: %(summary)s") if approved else _("Rejected: %(summary)s")) % {
        "summary": request.summary
    }
    body = _("%(person)s decided.") % {"person": user}
    if request.comment:
        body = f"{body} {request.comment}"
    notify(
        recipients=[request.requested_by],
        title=title,
        body=body,
        link=request_url(request),
        level=Notification.Level.SUCCESS if approved else Notification.Level.DANGER,
        kind="approval",
        dedupe_key=f"approval:{request.pk}:{request.status}",
    )


# --- asking -------------------------------------------------------------------------------------


def _add_step(request: ApprovalRequest, approvers: list) -> None:
    for approver in approvers:
        ApprovalStep(request=request, step=request.current_step, approver=approver).save()
    _forget_waiting(request)
    _notify_approvers(request, approvers)


@transaction.atomic
def request_approval(
    *,
    record: models.Model,
    kind: str,
    requested_by,
    summary: str,
    data: dict[str, Any] | None = None,
) -> ApprovalRequest:
    """Ask for approval of ``kind`` on ``record``: the approvers of the first step are resolved
    and told in their inbox, and the record is locked until the request is decided.

    Idempotent: the same kind already pending on the record returns that request. Another kind
    pending on it is refused (one pending request per record)."""
    spec = get_kind(kind)
    if record is None or record.pk is None:
        raise ValidationError(_("Save the record before asking for approval."), code="unsaved")
    existing = pending_approval(record)
    if existing is not None:
        if existing.kind == kind:
            return existing
        raise ValidationError(_locked_message(existing), code=ApprovalError.OTHER_PENDING)
    summary = (summary or "").strip()[:300] or str(spec.label)
    approvers = resolve_approvers(kind=spec, person=requested_by)
    if not approvers:
        raise ValidationError(
            _("Nobody can approve this request: ask an administrator to set your manager."),
            code=ApprovalError.NO_APPROVER,
        )
    request = ApprovalRequest(
        content_type=ContentType.objects.get_for_model(type(record)),
        object_id=record.pk,
        record_label=str(record)[:200],
        kind=kind,
        summary=summary,
        data=data or {},
        requested_by=requested_by,
        steps_total=spec.steps,
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:  # a parallel request on the same record won the race
        existing = pending_approval(record)
        if existing is not None and existing.kind == kind:
            return existing
        raise ValidationError(
            _("Another approval request is pending on this record."),
            code=ApprovalError.OTHER_PENDING,
        ) from None
    _add_step(request, approvers)
    return request


# --- deciding -----------------------------------------------------------------------------------


def current_approvers(request: ApprovalRequest) -> list:
    return [
        s.approver
        for s in request.steps.filter(
            step=request.current_step, decision=ApprovalStep.Decision.PENDING
        ).select_related("approver")
    ]


def may_decide(request: ApprovalRequest, user) -> bool:
    """Approvers of the current step decide; administrators (``DECIDE_ANY``) may too."""
    if not request.is_pending or user is None or not user.is_authenticated:
        return False
    if user.has_perm(DECIDE_ANY):
        return True
    return request.steps.filter(
        step=request.current_step, approver=user, decision=ApprovalStep.Decision.PENDING
    ).exists()


def may_withdraw(request: ApprovalRequest, user) -> bool:
    return request.is_pending and user is not None and request.requested_by_id == user.pk


def _lock(request: ApprovalRequest) -> ApprovalRequest:
    """The request re-read under a row lock: two decisions at once, one wins."""
    locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    if not locked.is_pending:
        raise ValidationError(
            _("This request has already been decided or withdrawn."),
            code=ApprovalError.NOT_PENDING,
        )
    return locked


def _close_step(request: ApprovalRequest, user, decision: str, comment: str) -> None:
    now = timezone.now()
    rows = list(request.steps.filter(step=request.current_step))
    mine = next((s for s in rows if s.approver_id == user.pk), None)
    if mine is None:  # an administrator deciding in the approvers' place
        mine = ApprovalStep(request=request, step=request.current_step, approver=user)
    mine.decision, mine.comment, mine.decided_at = decision, comment, now
    mine.save()
    for row in rows:
        if row.pk != mine.pk and row.decision == ApprovalStep.Decision.PENDING:
            row.decision = ApprovalStep.Decision.SKIPPED
            row.save()


def _finish(request: ApprovalRequest, user, status: str, comment: str) -> None:
    request.status = status
    request.decided_by = user
    request.decided_at = timezone.now()
    request.comment = comment
    request.save()
    _forget_waiting(request)


@transaction.atomic
def approve(*, request: ApprovalRequest, user, comment: str = "") -> ApprovalRequest:
    """Approve the current step; the last step approves the request (the record is unlocked,
    then the kind's ``on_approved`` runs and the requester is told)."""
    request = _lock(request)
    if not may_decide(request, user):
        raise PermissionDenied(_("You are not an approver of this request."))
    comment = (comment or "").strip()
    _close_step(request, user, ApprovalStep.Decision.APPROVED, comment)
    spec = get_kind_or_none(request.kind)
    if request.current_step < request.steps_total and spec is not None:
        involved = set(
            request.steps.exclude(decision=ApprovalStep.Decision.SKIPPED).values_list(
                "approver_id", flat=True
            )
        ) | {request.requested_by_id}
        nxt = resolve_approvers(kind=spec, person=user, exclude=involved)
        if nxt:
            request.current_step += 1
            request.save()
            _add_step(request, nxt)
            return request
    _finish(request, user, ApprovalStatus.APPROVED, comment)
    if spec is not None and spec.on_approved is not None:
        spec.on_approved(request, user)
    _notify_requester(request, user)
    return request


@transaction.atomic
def reject(*, request: ApprovalRequest, user, comment: str = "") -> ApprovalRequest:
    """Reject the request at its current step: the record is unlocked, the kind's
    ``on_rejected`` runs and the requester is told."""
    request = _lock(request)
    if not may_decide(request, user):
        raise PermissionDenied(_("You are not an approver of this request."))
    comment = (comment or "").strip()
    _close_step(request, user, ApprovalStep.Decision.REJECTED, comment)
    _finish(request, user, ApprovalStatus.REJECTED, comment)
    spec = get_kind_or_none(request.kind)
    if spec is not None and spec.on_rejected is not None:
        spec.on_rejected(request, user)
    _notify_requester(request, user)
    return request


@transaction.atomic
def withdraw(*, request: ApprovalRequest, user) -> ApprovalRequest:
    """The requester takes the request back: the record is unlocked, nothing else happens."""
    request = _lock(request)
    if not may_withdraw(request, user):
        raise PermissionDenied(_("Only the person who asked may withdraw the request."))
    for row in request.steps.filter(decision=ApprovalStep.Decision.PENDING):
        row.decision = ApprovalStep.Decision.SKIPPED
        row.save()
    _finish(request, user, ApprovalStatus.WITHDRAWN, "")
    return request


def get_kind_or_none(code: str) -> ApprovalKind | None:
    try:
        return get_kind(code)
    except ValidationError:
        return None


WAITING_TTL = 300  # seconds; bounds staleness should a change bypass ``_forget_waiting``


def _waiting_key(user_id: int) -> str:
    return f"kehu:approvals-waiting:{user_id}"


def waiting_count(user) -> int:
    """The navigation badge: requests whose current step ``user`` must decide (cached per
    user, dropped whenever one of their steps changes)."""
    if user is None or not user.is_authenticated:
        return 0
    key = _waiting_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = ApprovalRequest.objects.waiting_for(user).count()
        cache.set(key, count, WAITING_TTL)
    return count


def _forget_waiting(request: ApprovalRequest) -> None:
    """After the transaction: the badges of everyone with a step in ``request``."""
    ids = set(request.steps.values_list("approver_id", flat=True))
    transaction.on_commit(lambda: cache.delete_many([_waiting_key(i) for i in ids]))
