"""Custom field definitions: the generic list/detail/edit pages, a delete that refuses while
records hold values, and the order page (move a field up or down)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, perm
from kehu.core.customfields import definitions
from kehu.core.views import ObjectDeleteView, ObjectDetailView, object_urls

from .. import actions
from ..models import CustomField, custom_field_object_types
from ..object_types.customfields import CUSTOM_FIELD


class CustomFieldDetailView(ObjectDetailView):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        field = ctx["object"]
        ctx["fields"].insert(
            5,
            (
                _("Choices"),
                "\n".join(
                    f"{c.get('code')} — {c.get('label_zh')}"
                    + (f" / {c.get('label_en')}" if c.get("label_en") else "")
                    for c in field.choices or []
                ),
            ),
        )
        ctx["fields"].insert(6, (_("Default value"), field.default))
        ctx["fields"].append((_("Records holding a value"), actions.count_custom_values(field)))
        return ctx


class CustomFieldDeleteView(ObjectDeleteView):
    """Deleting a field that records hold values of needs an explicit confirmation that the
    values are cleared (each record's change audited); deactivating is offered instead."""

    template_name = "system/customfields/customfield_delete.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["holding"] = actions.count_custom_values(ctx["object"])
        return ctx

    def post(self, request, *args, **kwargs):
        field = self.get_editable_object(kwargs["pk"])
        try:
            cleared = CUSTOM_FIELD.actions.delete(
                user=request.user, obj=field, clear_values=request.POST.get("clear_values") == "1"
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect(CUSTOM_FIELD.url_name("delete"), pk=field.pk)
        if cleared:
            messages.success(
                request,
                _("Deleted %(object)s and cleared its values on %(count)s records.")
                % {"object": field, "count": cleared},
            )
        else:
            messages.success(request, _("Deleted %(object)s.") % {"object": field})
        return redirect(CUSTOM_FIELD.url_name("list"))


@access_rule(perm(CUSTOM_FIELD.perm("change")))
@login_required
def order(request):
    """Every opted-in object type with its fields in form order, each movable up or down."""
    if not request.user.has_perm(CUSTOM_FIELD.perm("change")):
        raise PermissionDenied
    groups = [
        {"label": label, "name": name, "fields": definitions(label, include_inactive=True)}
        for label, name in custom_field_object_types()
    ]
    return render(request, "system/customfields/order.html", {"groups": groups})


@access_rule(perm(CUSTOM_FIELD.perm("change"), "system.customfield"))
@require_POST
@login_required
def move(request, pk: int):
    if not request.user.has_perm(CUSTOM_FIELD.perm("change")):
        raise PermissionDenied
    field = get_object_or_404(CustomField.objects.editable_by(request.user), pk=pk)
    actions.move_custom_field(
        field=field, up=request.POST.get("direction") == "up", user=request.user
    )
    return redirect("system:customfield_order")


def _urls() -> list:
    kw = {"object_type": CUSTOM_FIELD}
    replaced = {
        "customfield_detail": path(
            "customfields/<int:pk>/",
            CustomFieldDetailView.as_view(**kw),
            name="customfield_detail",
        ),
        "customfield_delete": path(
            "customfields/<int:pk>/delete/",
            CustomFieldDeleteView.as_view(**kw),
            name="customfield_delete",
        ),
    }
    return [replaced.get(p.name, p) for p in object_urls(CUSTOM_FIELD)]


urlpatterns = [
    path("customfields/order/", order, name="customfield_order"),
    path("customfields/<int:pk>/move/", move, name="customfield_move"),
    *_urls(),
]
