"""The picker endpoint (``core.pickers`` has the widgets and the search)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.utils.translation import gettext as _

from .access_rules import LOGGED_IN, access_rule
from .errors import BadInput
from .pickers import (
    MAX_QUERY,
    context_of,
    default_queryset,
    fallback_field,
    label_of,
    pickable,
    recall,
    search_choices,
    value_of,
)


@access_rule(LOGGED_IN)
@login_required
def picker(request, label: str):
    """``GET /picker/<app.model>/?q=<text>[&k=<key>]``: ``{"results": [{"value", "label",
    "context"}]}``, at most :data:`kehu.core.pickers.LIMIT`, from the field's
    remembered queryset (``k``) or the type's restricted queryset (values of field ``f``). 400 for an unknown type or a bad parameter."""
    from django.apps import apps

    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as exc:
        raise BadInput(_("Unknown record type “%(label)s”.") % {"label": label[:100]}) from exc
    if not pickable(model):
        raise BadInput(_("Unknown record type “%(label)s”.") % {"label": label[:100]})
    query = request.GET.get("q", "")
    if len(query) > MAX_QUERY:
        raise BadInput(_("The search text is too long."), field="q")
    key = request.GET.get("k", "")
    if key and (len(key) != 40 or not all(c in "0123456789abcdef" for c in key)):
        raise BadInput(_("The picker key is not valid."), field="k")
    try:
        fallback = fallback_field(model, request.GET.get("f", ""), request.user)
    except ValueError as exc:
        raise BadInput(
            _("Unknown field “%(field)s”.") % {"field": str(exc)[:50]}, field="f"
        ) from exc
    found = recall(key, model, request.user) if key else None
    qs, to_field = found if found else (default_queryset(model, request.user), fallback)
    hits = search_choices(qs, query)
    return JsonResponse(
        {
            "results": [
                {
                    "value": value_of(obj, to_field),
                    "label": label_of(obj),
                    "context": context_of(obj),
                }
                for obj in hits
            ]
        }
    )
