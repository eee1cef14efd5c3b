"""Satisfaction surveys: sent once per request when it is first resolved or closed, answered
through signed one-click links, reported per month, agent or category.

The link names the survey (so the request) and carries a digest of the address it was sent to,
signed with the secret key under a salt of its own and a timestamp: it cannot be altered to act
on another request or recipient, and it expires after :data:`LINK_DAYS`.

For analytics (``kehu/analytics/satisfaction.py``): :func:`survey_rows` gives every answered
survey as plain rows and :func:`customer_scores` the average per customer, both from the
user's restricted requests."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import logging
from enum import StrEnum

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.db.models.functions import ExtractMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from ..models import ServiceRequest, SurveyResponse

log = logging.getLogger(__name__)

SALT = "kehu.service.survey"
#: How long a survey link stays valid.
LINK_DAYS = 30
SCORES = (1, 2, 3, 4, 5)
MATERIAL = "service.survey.{pk}"
DONE = (ServiceRequest.Status.RESOLVED, ServiceRequest.Status.CLOSED)
GROUPS = ("month", "agent", "category")


class SurveyError(StrEnum):
    INVALID = "invalid_link"
    EXPIRED = "expired_link"
    SCORE = "invalid_score"


# --- Links --------------------------------------------------------------------------------------


def _digest(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:16]


def make_token(survey: SurveyResponse) -> str:
    """A signed, timestamped token naming the survey's request and its recipient."""
    value = f"{survey.request_id}.{survey.pk}.{_digest(survey.address)}"
    return signing.TimestampSigner(salt=SALT).sign(value)


def survey_for_token(token: str, *, now: datetime.datetime | None = None) -> SurveyResponse:
    """The survey a token names; ``ValidationError`` with code ``expired_link`` or
    ``invalid_link`` (forged, altered, another request's or another recipient's)."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        value = signer.unsign(token, max_age=datetime.timedelta(days=LINK_DAYS))
    except signing.SignatureExpired:
        raise ValidationError(
            _("This survey link has expired."), code=SurveyError.EXPIRED
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            _("This survey link is not valid."), code=SurveyError.INVALID
        ) from None
    try:
        request_id, survey_id, digest = value.split(".")
        request_id, survey_id = int(request_id), int(survey_id)
    except ValueError:
        raise ValidationError(
            _("This survey link is not valid."), code=SurveyError.INVALID
        ) from None
    survey = (
        SurveyResponse.objects.select_related("request", "customer")
        .filter(pk=survey_id, request_id=request_id)
        .first()
    )
    if survey is None or _digest(survey.address) != digest:
        raise ValidationError(_("This survey link is not valid."), code=SurveyError.INVALID)
    return survey


def survey_url(survey: SurveyResponse, score: int) -> str:
    from kehu.system.messaging.conf import site_url

    return site_url() + reverse("service:survey", args=[make_token(survey), score])


# --- Sending ------------------------------------------------------------------------------------


def _plain(value: str) -> str:
    """Customer data put into a message template: braces cannot start a placeholder or tag."""
    return (value or "").replace("{", "｛").replace("}", "｝")


def _bodies(survey: SurveyResponse, req: ServiceRequest) -> tuple[str, str, str]:
    number, subject = _plain(req.number), _plain(req.subject)
    title = _("How did we do? Your service request %(number)s") % {"number": number}
    intro = _(
        "Your service request %(number)s “%(subject)s” has been resolved. How satisfied are "
        "you with our service? Click a score (1 = very dissatisfied, 5 = very satisfied):"
    ) % {"number": number, "subject": subject}
    labels = score_labels()
    urls = [(n, labels[n], survey_url(survey, n)) for n in SCORES]
    text = "{{ name }},\n\n" + intro + "\n\n"
    text += "\n".join(f"{n} – {label}: {url}" for n, label, url in urls)
    text += "\n\n" + _("Unsubscribe: %(link)s") % {"link": "{{ unsubscribe_url }}"} + "\n"
    html = "<p>{{ name }},</p><p>" + escape(intro) + "</p><p>"
    html += " ".join(f'<a href="{escape(url)}">{n} · {escape(label)}</a>' for n, label, url in urls)
    html += "</p>"
    return title.replace("\r", " ").replace("\n", " "), text, html


def score_labels() -> dict[int, str]:
    return {
        1: _("Very dissatisfied"),
        2: _("Dissatisfied"),
        3: _("Neutral"),
        4: _("Satisfied"),
        5: _("Very satisfied"),
    }


@transaction.atomic
def send_survey(*, request_id: int, now: datetime.datetime | None = None) -> SurveyResponse | None:
    """Queue the survey of a resolved or closed request to its contact's e-mail, once per
    request (a reopened and again resolved request is not asked twice). ``None`` when there is
    nobody to ask or it was asked already."""
    from kehu.system.messaging import create_message, queue_deliveries, send_message

    now = now or timezone.now()
    req = (
        ServiceRequest.objects.select_related("contact", "customer")
        .select_for_update(of=("self",))
        .filter(pk=request_id)
        .first()
    )
    if req is None or req.status not in DONE:
        return None
    contact = req.contact
    if contact is None or not contact.email or SurveyResponse.objects.filter(request=req).exists():
        return None
    survey = SurveyResponse.objects.create(
        request=req,
        customer_id=req.customer_id,
        contact=contact,
        agent_id=req.agent_id,
        category=req.category,
        address=contact.email.strip(),
        sent_at=now,
    )
    subject, text, html = _bodies(survey, req)
    message = create_message(
        material=MATERIAL.format(pk=req.pk),
        channel="email",
        sender=_("Customer service"),
        source="service.survey",
        subject=subject,
        text=text,
        html=html,
    )
    queue_deliveries(
        message=message,
        recipients=[
            {
                "address": survey.address,
                "context": {"name": contact.name, "company": req.customer.name},
            }
        ],
    )
    send_message(message=message)
    return survey


def on_records_changed(sender, *, entries, action, **kwargs) -> None:
    """The audit writer's signal: a request that has just become resolved or closed gets its
    survey after the transaction commits (a failure to send never undoes the closing)."""
    for record, changes in entries:
        if not isinstance(record, ServiceRequest) or not isinstance(changes, dict):
            continue
        status = changes.get("status")
        if not status or len(status) != 2:
            continue
        old, new = status
        if new in DONE and old not in DONE:
            transaction.on_commit(lambda pk=record.pk: _send_quietly(pk))


def _send_quietly(request_id: int) -> None:
    try:
        send_survey(request_id=request_id)
    except Exception:  # noqa: BLE001 - the request is closed either way; the log says why
        log.exception("satisfaction survey of service request %s not sent", request_id)


# --- Answers ------------------------------------------------------------------------------------


def _check_score(score) -> int:
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if score not in SCORES:
        raise ValidationError(
            {"score": ValidationError(_("Choose a score from 1 to 5."), code=SurveyError.SCORE)}
        )
    return score


@transaction.atomic
def record_answer(
    *,
    survey: SurveyResponse,
    score,
    comment: str | None = None,
    now: datetime.datetime | None = None,
) -> SurveyResponse:
    """Record (or change) the score, and the comment when one is given."""
    score = _check_score(score)
    survey = SurveyResponse.objects.select_for_update().get(pk=survey.pk)
    survey.score = score
    if comment is not None:
        comment = comment.strip()
        if len(comment) > 2000:
            raise ValidationError(
                {"comment": _("Keep the comment under 2,000 characters.")}, code="max_length"
            )
        survey.comment = comment
    survey.responded_at = now or timezone.now()
    survey.save(update_fields=["score", "comment", "responded_at"])
    return survey


# --- Report and analytics -----------------------------------------------------------------------


def visible_surveys(user):
    """Surveys of the requests ``user`` may see (the restricted queryset decides)."""
    return SurveyResponse.objects.filter(request__in=ServiceRequest.objects.visible_to(user))


@dataclasses.dataclass
class SurveyRow:
    key: str
    label: str
    sent: int
    answered: int
    average: float | None

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.sent, 1) if self.sent else None


def survey_report(user, *, year: int, by: str = "month") -> list[SurveyRow]:
    """Surveys sent in ``year`` by month, agent or category: sent, answered, response rate and
    the average score of the answers. One query."""
    from .reports import _year_range

    start, end = _year_range(year)
    qs = visible_surveys(user).filter(sent_at__gte=start, sent_at__lt=end)
    column = {"month": "month_no", "agent": "agent_id"}.get(by, "category")
    if by == "month":
        qs = qs.annotate(month_no=ExtractMonth("sent_at"))
    found = {
        str(r[column] if r[column] is not None else ""): r
        for r in qs.values(column)
        .annotate(
            n_sent=Count("id"),
            n_answered=Count("id", filter=Q(score__isnull=False)),
            avg=Avg("score"),
        )
        .order_by()
    }
    if by == "month":
        keys = [(str(m), f"{year}-{m:02d}") for m in range(1, 13)]
    elif by == "agent":
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.filter(pk__in=[int(k) for k in found if k])
        names = {str(p.pk): str(p) for p in people}
        keys = sorted(((k, names.get(k) or _("Unassigned")) for k in found), key=lambda x: x[1])
    else:
        from ..models._choices import category_choices

        labels = dict(category_choices())
        keys = sorted(
            ((k, labels.get(k, k) if k else _("No category")) for k in found), key=lambda x: x[1]
        )
    rows = []
    for key, label in keys:
        r = found.get(key, {})
        avg = r.get("avg")
        rows.append(
            SurveyRow(
                key=key,
                label=str(label),
                sent=r.get("n_sent", 0),
                answered=r.get("n_answered", 0),
                average=round(float(avg), 2) if avg is not None else None,
            )
        )
    return rows


def survey_totals(rows: list[SurveyRow]) -> SurveyRow:
    sent = sum(r.sent for r in rows)
    answered = sum(r.answered for r in rows)
    weighted = sum((r.average or 0) * r.answered for r in rows)
    return SurveyRow(
        key="",
        label=_("Total"),
        sent=sent,
        answered=answered,
        average=round(weighted / answered, 2) if answered else None,
    )


def survey_rows(user, *, since: datetime.datetime | None = None):
    """Answered surveys as plain rows for analytics: ``customer_id, request_id, agent_id,
    category, sent_at, responded_at, score`` (a values queryset, newest first)."""
    qs = visible_surveys(user).filter(score__isnull=False)
    if since is not None:
        qs = qs.filter(responded_at__gte=since)
    return qs.order_by("-responded_at", "-pk").values(
        "customer_id", "request_id", "agent_id", "category", "sent_at", "responded_at", "score"
    )


def customer_scores(user, *, customer_ids=None) -> dict[int, tuple[float, int]]:
    """customer id → (average score, number of answers), over the user's visible requests."""
    qs = visible_surveys(user).filter(score__isnull=False)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    return {
        r["customer_id"]: (round(float(r["avg"]), 2), r["n"])
        for r in qs.values("customer_id").annotate(avg=Avg("score"), n=Count("id")).order_by()
    }
