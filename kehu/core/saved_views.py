"""Saved views (保存的视图) of the list pages: save, apply, rename, share, make default, delete.

Thin views over the actions in ``kehu.core.actions``. A user reaches only their own views and
the shared ones (others' private views answer 404); changing a view someone else shared answers
403. A view is only a query string: the list applies ``visible_to`` as always.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import actions
from .access_rules import LOGGED_IN, access_rule, own
from .models import SavedView
from .permissions import SpecialPermission
from .query import safe_next
from .registry import find_object_type


def _flag(request, name: str) -> bool:
    return request.POST.get(name) in ("1", "on", "true")


def _error(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _back(request, fallback: str):
    return redirect(safe_next(request, request.POST.get("next"), fallback))


@access_rule(LOGGED_IN)
@login_required
@require_POST
def create(request):
    label = request.POST.get("object_type", "")
    ot = find_object_type(label)
    if ot is None or not ot.allows(request.user):
        raise Http404
    query = request.POST.get("query", "")
    list_url = reverse(ot.url_name("list"))
    try:
        view = actions.save_view(
            user=request.user,
            object_type=label,
            name=request.POST.get("name", ""),
            query=query,
            is_default=_flag(request, "is_default"),
            shared=_flag(request, "shared"),
        )
    except ValidationError as exc:
        _error(request, exc)
        cleaned = actions.clean_view_query(query)
        return redirect(f"{list_url}?{cleaned}" if cleaned else f"{list_url}?view=0")
    messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
    return redirect(view.get_absolute_url())


@access_rule(own("core.savedview"))
@login_required
@require_POST
def update(request, pk: int):
    view = get_object_or_404(SavedView.objects.available_to(request.user), pk=pk)
    fallback = reverse("core:saved_views") + f"?type={view.object_type}"
    changes = {}
    if "name" in request.POST:
        changes["name"] = request.POST["name"]
    for flag in ("is_default", "shared"):
        if f"{flag}_sent" in request.POST:  # checkboxes: absent means off when the form sent it
            changes[flag] = _flag(request, flag)
    if "query" in request.POST:
        changes["query"] = request.POST["query"]
    try:
        actions.update_view(view=view, user=request.user, **changes)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
    return _back(request, fallback)


@access_rule(own("core.savedview"))
@login_required
@require_POST
def delete(request, pk: int):
    view = get_object_or_404(SavedView.objects.available_to(request.user), pk=pk)
    label = view.object_type
    actions.delete_view(view=view, user=request.user)
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return _back(request, reverse("core:saved_views") + f"?type={label}")


@access_rule(LOGGED_IN)
@login_required
def manage(request):
    """The user's views of one list (rename, default, share, delete) and the shared ones."""
    label = request.GET.get("type", "")
    ot = find_object_type(label)
    if ot is None or not ot.allows(request.user):
        raise Http404
    available = SavedView.objects.available_to(request.user, label).select_related("user")
    return render(
        request,
        "core/saved_views.html",
        {
            "object_type": ot,
            "verbose_name_plural": ot.verbose_name_plural(),
            "list_url": reverse(ot.url_name("list")),
            "own": [v for v in available if v.user_id == request.user.pk],
            "shared": [v for v in available if v.user_id != request.user.pk],
            "can_share": request.user.has_perm(SpecialPermission.SHARE_VIEWS),
        },
    )
