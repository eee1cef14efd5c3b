"""Activity pages: list (with iCalendar download), detail with its actions, the customer page's
quick log form and timeline, the contact page's activities, the calendar and the feeds."""

from __future__ import annotations

import calendar as pycalendar
import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kehu.core.access_rules import LOGGED_IN, PUBLIC, access_rule, perm, record
from kehu.core.errors import BadInput, StaleObjectError
from kehu.core.permissions import SpecialPermission
from kehu.core.query import date_param, datetime_param
from kehu.core.views import ObjectDetailView, ObjectEditView, ObjectListView

from .. import actions
from ..forms import QuickActivityForm
from ..ical import calendar_stream
from ..models import Activity, Contact, Customer
from ..timeline import owner_history, render_panels, sources_for, timeline
from .reassign import bulk_reassign, owner_picker

__all__ = [
    "ActivityDetailView",
    "ActivityEditView",
    "ActivityListView",
    "ContactDetailView",
    "activity_action",
    "activity_bulk_reassign",
    "activity_calendar",
    "activity_feed",
    "activity_ics",
    "calendar_feed_settings",
    "customer_log_activity",
    "customer_timeline",
    "customer_activity_context",
]

ICS_LIMIT = 5000
CALENDAR_LIMIT = 1500
PROMISE_LIMIT = 500
TIMELINE_PAGE = 20


def _need(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied


class ActivityListView(ObjectListView):
    template_name = "customers/activity_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        if user.has_perm("customers.change_activity"):
            people = list(actions.activity_assignees(user))
            if len(people) > 1:  # someone else to give activities to: the bulk reassign
                ctx["bulk_reassign"] = {
                    "url": reverse("customers:activity_bulk_reassign"),
                    "people": people,
                    "picker": owner_picker(
                        actions.activity_assignees(user),
                        user,
                        input_id="bulk-owner",
                        form="bulk-form",
                    ),
                }
        return ctx


@access_rule(record("customers.activity", "customers.change_activity"))
@login_required
@require_POST
def activity_bulk_reassign(request):
    """The list's "Reassign selected" (``reassign_activities`` checks scope and assignee)."""
    return bulk_reassign(
        request,
        model=Activity,
        perm="customers.change_activity",
        reassign=lambda chosen, owner, user: actions.reassign_activities(
            activities=chosen, owner=owner, user=user
        ),
        back=reverse("customers:activity_list"),
        nothing=_("Select the activities to reassign."),
        done=lambda n, owner: (
            ngettext(
                "%(count)s activity reassigned to %(owner)s.",
                "%(count)s activities reassigned to %(owner)s.",
                n,
            )
            % {"count": n, "owner": owner}
        ),
    )


class ActivityDetailView(ObjectDetailView):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        activity = ctx["object"]
        user = self.request.user
        ctx["contacts"] = list(
            Contact.objects.visible_to(user).filter(activities=activity).only("id", "name", "title")
        )
        ctx["can_act"] = user.has_perm("customers.change_activity") and (
            Activity.objects.editable_by(user).filter(pk=activity.pk).exists()
        )
        ctx["now_local"] = timezone.localtime(activity.start_at).strftime("%Y-%m-%dT%H:%M")
        return ctx


class ActivityEditView(ObjectEditView):
    """Add/edit; ``?customer=<id>`` preselects a customer the user may edit, ``?start=`` a time
    (the calendar's "new activity on this day")."""

    def get_context_data(self, form=None, **kwargs):
        if form is None and "pk" not in self.kwargs:
            initial = {}
            customer = self.request.GET.get("customer") or ""
            if customer.isdigit():
                number = (
                    Customer.objects.editable_by(self.request.user)
                    .filter(pk=customer)
                    .values_list("number", flat=True)
                    .first()
                )
                if number:
                    initial["customer"] = number
            start = datetime_param(self.request.GET.get("start"), name="start")
            if start is not None:
                initial["start_at"] = start
            if self.request.GET.get("kind") in Activity.Kind.values:
                initial["kind"] = self.request.GET["kind"]
            if initial:
                form = self.object_type.form(initial=initial, user=self.request.user)
        return super().get_context_data(form=form, **kwargs)


@access_rule(record("customers.activity", "customers.change_activity"))
@login_required
@require_POST
def activity_action(request, pk: int, action: str):
    """Complete, cancel, reschedule or mark the commitment kept: 404 outside the view scope,
    403 outside the edit scope."""
    _need(request.user, "customers.change_activity")
    activity = get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)
    if not Activity.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    try:
        if action == "complete":
            actions.complete_activity(activity=activity, outcome=request.POST.get("outcome", ""))
            messages.success(request, _("Marked as done."))
        elif action == "cancel":
            actions.cancel_activity(activity=activity)
            messages.success(request, _("Activity cancelled."))
        elif action == "keep":
            actions.keep_commitment(activity=activity)
            messages.success(request, _("Commitment marked as kept."))
        elif action == "reschedule":
            try:
                start = datetime_param(request.POST.get("start_at"), name="start_at")
            except BadInput as exc:
                raise ValidationError({"start_at": exc.message}) from None
            if start is None:
                raise ValidationError({"start_at": _("Enter a valid date and time.")})
            actions.reschedule_activity(activity=activity, start_at=start)
            messages.success(request, _("Activity rescheduled."))
        else:
            raise Http404
    except (ValidationError, StaleObjectError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(activity.get_absolute_url())


# --- The customer page: quick log, timeline, owners, panels -------------------------------------


def customer_activity_context(request, customer: Customer) -> dict:
    """What the customer page shows from this module (called by CustomerDetailView)."""
    user = request.user
    can_log = user.has_perm("customers.add_activity") and (
        Customer.objects.editable_by(user).filter(pk=customer.pk).exists()
    )
    sources = sources_for(user)
    return {
        "can_log_activity": can_log,
        "quick_form": QuickActivityForm(customer=customer) if can_log else None,
        "timeline_sources": sources,
        "owner_history": owner_history(customer, user),
        "customer_panels": render_panels(customer, request),
        "open_commitments": _open_commitments(user, customer),
        "today": timezone.localdate(),
    }


def _open_commitments(user, customer: Customer) -> list[Activity]:
    """The customer's commitments not yet kept (the side card), as far as ``user`` may see."""
    if not user.has_perm("customers.view_activity"):
        return []
    return list(
        Activity.objects.visible_to(user)
        .filter(customer=customer)
        .filter(actions.open_commitments_q())
        .only("id", "subject", "commitment", "commitment_due", "status", "customer_id")
        .order_by("commitment_due", "pk")[:10]
    )


def _visible_customer(request, pk: int) -> Customer:
    _need(request.user, "customers.view_customer")
    return get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)


@access_rule(record("customers.customer"))
@login_required
def customer_timeline(request, pk: int):
    """One page of the merged timeline (the first, or the next with ``cursor``), as HTML."""
    customer = _visible_customer(request, pk)
    kinds = [k for k in request.GET.getlist("kind") if k]
    page = timeline(
        customer, request.user, cursor=request.GET.get("cursor"), limit=TIMELINE_PAGE, kinds=kinds
    )
    more_url = None
    if page.cursor:
        more_url = (
            reverse("customers:customer_timeline", args=[customer.pk])
            + "?"
            + urlencode([("cursor", page.cursor), *[("kind", k) for k in kinds]])
        )
    return render(
        request,
        "customers/_timeline_entries.html",
        {"entries": page.entries, "more_url": more_url, "customer": customer},
    )


@access_rule(record("customers.customer", "customers.add_activity"))
@login_required
@require_POST
def customer_log_activity(request, pk: int):
    """The quick "log activity" form (HTMX): saves through ``log_activity`` and answers with a
    fresh form; the timeline reloads itself on the ``activity-logged`` event."""
    _need(request.user, "customers.add_activity")
    customer = _visible_customer(request, pk)
    if not Customer.objects.editable_by(request.user).filter(pk=customer.pk).exists():
        raise PermissionDenied
    form = QuickActivityForm(request.POST, customer=customer)
    saved = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = actions.log_activity(
                customer=customer,
                user=request.user,
                kind=data["kind"],
                subject=data["subject"],
                start_at=data.get("start_at"),
                outcome=data.get("outcome") or "",
                contacts=data.get("contacts") or [],
                commitment=data.get("commitment") or "",
                commitment_due=data.get("commitment_due"),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form = QuickActivityForm(customer=customer)
    response = render(
        request,
        "customers/_quick_activity.html",
        {"quick_form": form, "object": customer, "saved": saved},
    )
    if saved is not None:
        response["HX-Trigger"] = "activity-logged"
        if saved.commitment:  # the side card follows without a reload (out-of-band swap)
            response.write(
                render_to_string(
                    "customers/_open_commitments.html",
                    {
                        "oob": True,
                        "open_commitments": _open_commitments(request.user, customer),
                        "today": timezone.localdate(),
                    },
                    request=request,
                )
            )
    if not getattr(request, "htmx", False) and saved is not None:
        messages.success(request, _("Activity logged."))
        return redirect(customer.get_absolute_url())
    return response


class ContactDetailView(ObjectDetailView):
    """The generic contact page plus the activities the contact took part in."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["can_view_activities"] = user.has_perm("customers.view_activity")
        if ctx["can_view_activities"]:
            ctx["activities"] = list(
                Activity.objects.visible_to(user)
                .filter(contacts=ctx["object"])
                .select_related("owner")
                .order_by("-start_at", "-pk")[:50]
            )
        return ctx


# --- Calendar ------------------------------------------------------------------------------------


def _calendar_range(view: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    if view == "week":
        start = day - datetime.timedelta(days=day.weekday())
        return start, start + datetime.timedelta(days=7)
    first = day.replace(day=1)
    start = first - datetime.timedelta(days=first.weekday())
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    end = last + datetime.timedelta(days=7 - last.weekday())
    return start, end


def _calendar_filter(request):
    """The activity FilterSet with the calendar's default: my own activities."""
    from ..filters import ActivityFilterSet

    data = request.GET.copy()
    if "owner" not in data:
        data["owner"] = str(request.user.pk)
    qs = Activity.objects.visible_to(request.user).select_related("customer")
    filterset = ActivityFilterSet(data, queryset=qs, user=request.user)
    return filterset, (filterset.qs if filterset.is_valid() else qs.none())


@access_rule(perm("customers.view_activity"))
@login_required
def activity_calendar(request):
    """Month or week grid of the activities the user may see (their own by default)."""
    _need(request.user, "customers.view_activity")
    view = "week" if request.GET.get("view") == "week" else "month"
    day = date_param(request.GET.get("date"), name="date") or timezone.localdate()
    start, end = _calendar_range(view, day)
    filterset, qs = _calendar_filter(request)
    rows = list(
        qs.filter(
            start_at__gte=actions.day_start(start), start_at__lt=actions.day_start(end)
        ).order_by("start_at", "pk")[: CALENDAR_LIMIT + 1]
    )
    capped = len(rows) > CALENDAR_LIMIT
    by_day: dict[datetime.date, list[Activity]] = {}
    for activity in rows[:CALENDAR_LIMIT]:
        by_day.setdefault(timezone.localtime(activity.start_at).date(), []).append(activity)
    # Promises (commitments) on their due date, kept ones struck through.
    promises_by_day: dict[datetime.date, list[Activity]] = {}
    promises = (
        qs.filter(commitment_due__gte=start, commitment_due__lt=end)
        .exclude(commitment="")
        .exclude(status=Activity.Status.CANCELLED)
        .order_by("commitment_due", "pk")[:PROMISE_LIMIT]
    )
    for activity in promises:
        promises_by_day.setdefault(activity.commitment_due, []).append(activity)
    today = timezone.localdate()
    weeks = []
    cursor = start
    while cursor < end:
        week = []
        for _i in range(7):
            week.append(
                {
                    "date": cursor,
                    "items": by_day.get(cursor, []),
                    "promises": promises_by_day.get(cursor, []),
                    "other_month": view == "month" and cursor.month != day.month,
                    "today": cursor == today,
                }
            )
            cursor += datetime.timedelta(days=1)
        weeks.append(week)
    if view == "week":
        prev_day, next_day = day - datetime.timedelta(days=7), day + datetime.timedelta(days=7)
    else:
        first = day.replace(day=1)
        prev_day = (first - datetime.timedelta(days=1)).replace(day=1)
        next_day = (first + datetime.timedelta(days=32)).replace(day=1)
    params = request.GET.copy()
    for key in ("date", "view"):
        params.pop(key, None)

    def url(**extra):
        p = params.copy()
        for k, v in extra.items():
            p[k] = v
        return "?" + p.urlencode()

    ics_params = params.copy()
    ics_params.setdefault("owner", str(request.user.pk))
    ics_params["date_from"] = start.isoformat()
    ics_params["date_to"] = (end - datetime.timedelta(days=1)).isoformat()
    owners = filterset.filters["owner"].queryset
    ctx = {
        "view": view,
        "day": day,
        "today_date": today,
        "weeks": weeks,
        # Small screens read the same days as a list (a grid's cells are too narrow for a
        # subject): the days with something on them, and today.
        "agenda": [
            cell
            for week in weeks
            for cell in week
            if not cell["other_month"] and (cell["items"] or cell["promises"] or cell["today"])
        ],
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "filterset": filterset,
        "show_owner_filter": owners.count() > 1,
        "capped": capped,
        "limit": CALENDAR_LIMIT,
        "prev_url": url(date=prev_day.isoformat(), view=view),
        "next_url": url(date=next_day.isoformat(), view=view),
        "today_url": url(date=today.isoformat(), view=view),
        "month_url": url(date=day.isoformat(), view="month"),
        "week_url": url(date=day.isoformat(), view="week"),
        "ics_url": reverse("customers:activity_ics") + "?" + ics_params.urlencode(),
        "can_add": request.user.has_perm("customers.add_activity"),
    }
    template = "customers/calendar.html"
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template = "customers/_calendar_grid.html"
    return render(request, template, ctx)


def _ics_response(activities, *, name: str, request, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        calendar_stream(
            activities,
            name=name,
            host=request.get_host().split(":")[0] or "kehu",
            base_url=f"{request.scheme}://{request.get_host()}",
        ),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@access_rule(perm("customers.view_activity"))  # without export: one's own activities only
@login_required
def activity_ics(request):
    """Download the filtered activities (the list's or the calendar's filters) as .ics."""
    from kehu.core.models import AuditLog

    from ..filters import ActivityFilterSet

    _need(request.user, "customers.view_activity")
    data = request.GET.copy()
    if not request.user.has_perm(SpecialPermission.EXPORT):
        # Without the export permission one downloads one's own activities only.
        data["owner"] = str(request.user.pk)
    qs = Activity.objects.visible_to(request.user).select_related("customer")
    filterset = ActivityFilterSet(data, queryset=qs, user=request.user)
    filterset.valid_or_400()
    rows = filterset.qs.order_by("start_at", "pk")[:ICS_LIMIT]
    AuditLog.record(
        request.user,
        AuditLog.Action.EXPORT,
        {"object_type": "customers.activity", "format": "ics", "filters": data.dict()},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _ics_response(
        rows.iterator(chunk_size=500),
        name=_("Kehu activities"),
        request=request,
        filename=f"activities-{stamp}.ics",
    )


@access_rule(PUBLIC)
def activity_feed(request, token: str):
    """A user's personal subscription feed: their own activities they may still see, from 90
    days back to a year ahead. The secret token is the only credential (calendar apps cannot
    log in); a wrong or revoked token is a plain 404."""
    user = actions.feed_user(token)
    if user is None or not user.has_perm("customers.view_activity"):
        raise Http404
    now = timezone.now()
    rows = (
        Activity.objects.visible_to(user)
        .filter(
            owner=user,
            start_at__gte=now - datetime.timedelta(days=90),
            start_at__lt=now + datetime.timedelta(days=366),
        )
        .select_related("customer")
        .order_by("start_at", "pk")[:ICS_LIMIT]
    )
    response = _ics_response(
        rows.iterator(chunk_size=500),
        name=_("Kehu · %(user)s") % {"user": user},
        request=request,
        filename="kehu.ics",
    )
    response["Content-Disposition"] = 'inline; filename="kehu.ics"'
    return response


@access_rule(LOGGED_IN)
@login_required
def calendar_feed_settings(request):
    """Create (or replace) and revoke the user's feed link; the link is shown only once."""
    _need(request.user, "customers.view_activity")
    feed_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            actions.revoke_calendar_feed(user=request.user)
            messages.success(request, _("The calendar link was revoked."))
            return redirect("customers:calendar_feed")
        token = actions.create_calendar_feed(user=request.user)
        feed_url = request.build_absolute_uri(reverse("customers:activity_feed", args=[token]))
    from ..models import CalendarFeed

    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(request, "customers/calendar_feed.html", {"feed": feed, "feed_url": feed_url})
