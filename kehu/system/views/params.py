"""System set-up views: the parameter page, the company logo, holidays (with a year calendar)
and dictionary entries."""

from __future__ import annotations

import calendar
import datetime
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from kehu.core.access_rules import LOGGED_IN, access_rule, perm
from kehu.core.errors import StaleObjectError
from kehu.core.views import object_urls

from .. import actions
from ..forms.params import ParametersForm
from ..models import Holiday
from ..object_types.params import DICTIONARY_ITEM, HOLIDAY
from ..params import get_holidays, get_params, load_parameters

#: Monday first, as in China; one or two letters so twelve months fit on a screen.
WEEKDAY_ABBREVIATIONS = [
    pgettext_lazy("weekday abbreviation", "Mo"),
    pgettext_lazy("weekday abbreviation", "Tu"),
    pgettext_lazy("weekday abbreviation", "We"),
    pgettext_lazy("weekday abbreviation", "Th"),
    pgettext_lazy("weekday abbreviation", "Fr"),
    pgettext_lazy("weekday abbreviation", "Sa"),
    pgettext_lazy("weekday abbreviation", "Su"),
]


@access_rule(perm("system.view_systemparameters"))
@login_required
def parameters(request):
    """View (``view_systemparameters``) and change (``change_systemparameters``) the parameters."""
    if not request.user.has_perm("system.view_systemparameters"):
        raise PermissionDenied
    can_change = request.user.has_perm("system.change_systemparameters")
    instance = load_parameters()  # a fresh row, never the shared cached instance
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = ParametersForm(request.POST, request.FILES, instance=instance, user=request.user)
        if form.is_valid():
            try:
                actions.update_parameters(
                    user=request.user,
                    version=form.cleaned_data.get("version"),
                    **form.changes(),
                )
            except StaleObjectError as exc:
                form.add_error(None, exc)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.error_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(request, _("The system parameters were saved."))
                return redirect("system:parameters")
    else:
        form = ParametersForm(instance=instance, user=request.user)
    if not can_change:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "system/params/parameters.html",
        {"form": form, "can_change": can_change, "params": instance},
    )


@access_rule(LOGGED_IN)
@require_GET
@login_required
def logo(request):
    """The company logo, for logged-in users only (media files are not public)."""
    params = get_params()
    if not params.logo:
        raise Http404
    try:
        # Through the storage, not the FieldFile: the cached instance is shared by threads.
        handle = params.logo.storage.open(params.logo.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    content_type = mimetypes.guess_type(params.logo.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        raise Http404
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access_rule(perm(HOLIDAY.perm("view")))
@login_required
def holiday_calendar(request):
    """A year of small month calendars with holidays and make-up working days marked."""
    if not request.user.has_perm(HOLIDAY.perm("view")):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 1900), 2999)
    holidays = get_holidays()
    names = dict(Holiday.objects.filter(date__year=year).values_list("date", "name"))
    cal = calendar.Calendar(firstweekday=0)
    params = get_params()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in cal.monthdatescalendar(year, month):
            days = []
            for day in week:
                kind = holidays.get(day)
                weekend = str(day.isoweekday()) not in params.work_weekdays
                if day.month != month:
                    css = "other"
                elif kind == Holiday.Kind.HOLIDAY:
                    css = "holiday"
                elif kind == Holiday.Kind.WORKDAY:
                    css = "workday"
                elif weekend:
                    css = "weekend"
                else:
                    css = ""
                days.append(
                    {
                        "date": day,
                        "in_month": day.month == month,
                        "css": css,
                        "name": names.get(day, "") if day.month == month else "",
                        "today": day == today,
                    }
                )
            weeks.append(days)
        months.append({"month": datetime.date(year, month, 1), "weeks": weeks})
    counts = {
        "holidays": sum(
            1 for d, k in holidays.items() if d.year == year and k == Holiday.Kind.HOLIDAY
        ),
        "workdays": sum(
            1 for d, k in holidays.items() if d.year == year and k == Holiday.Kind.WORKDAY
        ),
    }
    return render(
        request,
        "system/params/holiday_calendar.html",
        {
            "year": year,
            "prev_year": year - 1,
            "next_year": year + 1,
            "months": months,
            "weekday_names": WEEKDAY_ABBREVIATIONS,
            "counts": counts,
            "can_add": request.user.has_perm(HOLIDAY.perm("add")),
        },
    )


urlpatterns = [
    path("parameters/", parameters, name="parameters"),
    path("parameters/logo/", logo, name="parameters_logo"),
    path("holidays/calendar/", holiday_calendar, name="holiday_calendar"),
    *object_urls(HOLIDAY),
    *object_urls(DICTIONARY_ITEM),
]
