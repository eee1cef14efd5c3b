"""The survey page a customer reaches from the e-mail (no sign-in: the signed link is the key)
and the staff survey report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kehu.core.access_rules import PUBLIC, access_rule, perm

from ..actions import surveys as acts
from ..forms.portal import SurveyForm
from .requests import _year


def _link_error(request, exc: ValidationError):
    status = 410 if exc.code == acts.SurveyError.EXPIRED else 404
    return render(
        request, "service/survey/link_error.html", {"message": exc.messages[0]}, status=status
    )


@access_rule(PUBLIC)  # the signed token names the request and its recipient
@never_cache
@require_http_methods(["GET", "POST"])
def survey(request, token: str, score: int):
    """GET (the click in the e-mail) records the score; the form on the page changes it and
    adds a comment (POST, CSRF-protected)."""
    try:
        found = acts.survey_for_token(token)
    except ValidationError as exc:
        return _link_error(request, exc)
    if score not in acts.SCORES:
        return render(
            request,
            "service/survey/link_error.html",
            {"message": _bad_score()},
            status=404,
        )
    done = False
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            found = acts.record_answer(
                survey=found,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
            done = True
    else:
        found = acts.record_answer(survey=found, score=score)
        form = SurveyForm(initial={"score": found.score, "comment": found.comment})
    return render(
        request,
        "service/survey/page.html",
        {
            "survey": found,
            "req": found.request,
            "form": form,
            "done": done,
            "labels": acts.score_labels(),
            "scores": acts.SCORES,
        },
        status=400 if form.errors else 200,
    )


def _bad_score() -> str:
    from django.utils.translation import gettext as _

    return _("Choose a score from 1 to 5.")


@access_rule(perm("service.view_surveyresponse"))
@login_required
def survey_report(request):
    from django.utils.translation import gettext as _

    if not request.user.has_perm("service.view_surveyresponse"):
        raise PermissionDenied
    year = _year(request)
    by = request.GET.get("by", "month")
    by = by if by in acts.GROUPS else "month"
    rows = acts.survey_report(request.user, year=year, by=by)
    total = acts.survey_totals(rows)
    chart = {
        "option": {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": [_("Average score"), _("Response rate (%)")]},
            "grid": {"left": 16, "right": 16, "bottom": 8, "top": 40, "containLabel": True},
            "xAxis": {"type": "category", "data": [r.label for r in rows]},
            "yAxis": [
                {"type": "value", "min": 0, "max": 5},
                {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
            ],
            "series": [
                {"name": _("Average score"), "type": "bar", "data": [r.average for r in rows]},
                {
                    "name": _("Response rate (%)"),
                    "type": "line",
                    "yAxisIndex": 1,
                    "data": [r.response_rate for r in rows],
                },
            ],
        }
    }
    return render(
        request,
        "service/survey_report.html",
        {
            "rows": rows,
            "total": total,
            "chart": chart,
            "year": year,
            "by": by,
            "groups": [("month", _("Month")), ("agent", _("Agent")), ("category", _("Category"))],
            "now": timezone.now(),
        },
    )
