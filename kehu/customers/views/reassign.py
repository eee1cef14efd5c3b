"""Owner changes by hand from the pages: the lists' "Reassign selected" and the customer page's
"Transfer", for any model with a ``reassign(records=, owner=, user=)`` action."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect

from kehu.core.pickers import picker_html
from kehu.system.models import User


def chosen_owner(request) -> User | None:
    owner_id = request.POST.get("owner") or ""
    return User.objects.filter(pk=owner_id).first() if owner_id.isdigit() else None


def owner_picker(people, user, *, input_id: str, form: str = "") -> str:
    """The new-owner picker of a transfer (nothing chosen at first: the user picks)."""
    attrs = {"id": input_id, "class": "form-control form-control-sm"}
    if form:
        attrs["form"] = form
    return picker_html("owner", people, user=user, attrs=attrs)


def bulk_reassign(
    request,
    *,
    model,
    perm: str,
    reassign: Callable[..., int],
    back: str,
    nothing: str,
    done: Callable[[int, User | None], str],
):
    """All selected records to one employee, all or nothing: a record the user cannot see
    refuses the whole request; the action checks the edit scope and who may be assigned."""
    if not request.user.has_perm(perm):
        raise PermissionDenied
    ids = {int(i) for i in request.POST.getlist("pk") if i.isdigit()}
    owner = chosen_owner(request)
    back = f"{back}?{urlencode(request.GET)}" if request.GET else back
    if not ids:
        messages.error(request, nothing)
        return redirect(back)
    chosen = list(model.objects.visible_to(request.user).filter(pk__in=ids).only("pk"))
    if len(chosen) != len(ids):
        raise PermissionDenied
    try:
        n = reassign(chosen, owner, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done(n, owner))
    return redirect(back)
