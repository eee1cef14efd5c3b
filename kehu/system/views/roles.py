"""System set-up views: roles, the role editor and the effective-permissions screen.

Every page here needs the special permission "manage users" on top of the role model permission.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from kehu.core.access_rules import FROM_PATH, access_rule, record, special
from kehu.core.errors import StaleObjectError
from kehu.core.permissions import SPECIAL_PERMISSION_LABELS, Access, DataScope, SpecialPermission
from kehu.core.pickers import apply_pickers
from kehu.core.registry import find_object_type
from kehu.core.views import (
    ObjectBulkDeleteView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)

from ..actions.roles import (
    CRUD,
    may_share,
    owned_object_types,
    share_record,
    share_requesters,
    share_targets,
    unshare_record,
    update_role_permissions,
)
from ..filters.roles import with_user_count
from ..forms.roles import EffectivePermissionsForm, RolePermissionsForm, matrix_rows
from ..models import Department, RecordShare, Role, User
from ..object_types.roles import ROLE


@access_rule(special(SpecialPermission.MANAGE_USERS))
class ManageUsersRequired:
    """Roles decide what everyone may do: only users with "manage users" see or change them."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(
            SpecialPermission.MANAGE_USERS
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RoleListView(ManageUsersRequired, ObjectListView):
    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["columns"].append(
            {"name": "user_count", "label": _("Employees"), "sort_url": None, "sorted": None}
        )
        ctx["rows"] = [(obj, [*cells, obj.user_count]) for obj, cells in ctx["rows"]]
        return ctx


class RoleDetailView(ManageUsersRequired, ObjectDetailView):
    def get_template_names(self):
        return ["system/roles/role_detail.html"]

    def visible(self):
        return with_user_count(super().visible())

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        role = ctx["object"]
        labels = {ot.label: ot.verbose_name_plural() for ot in owned_object_types()}
        ctx.update(
            holders=list(role.users.order_by("username")),
            departments=list(role.departments.all()),
            scopes=[
                (labels.get(s.object_type, s.object_type), s)
                for s in role.data_scopes.order_by("object_type")
            ],
            permission_count=role.permissions.count(),
            can_edit_permissions=self.request.user.has_perm(ROLE.perm("change")),
        )
        return ctx


class RoleEditView(ManageUsersRequired, ObjectEditView):
    pass


class RoleDeleteView(ManageUsersRequired, ObjectDeleteView):
    def post(self, request, *args, **kwargs):
        role = self.get_editable_object(kwargs["pk"])
        try:
            ROLE.actions.delete(user=request.user, obj=role)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("system:role_detail", pk=role.pk)
        messages.success(request, _("Deleted %(object)s.") % {"object": role})
        return redirect("system:role_list")


class RoleBulkDeleteView(ManageUsersRequired, ObjectBulkDeleteView):
    def post(self, request, *args, **kwargs):
        ids = [int(i) for i in request.POST.getlist("pk") if i.isdigit()]
        held = Role.objects.filter(pk__in=ids).filter(
            Q(users__isnull=False) | Q(departments__isnull=False)
        )
        if held.exists():
            messages.error(
                request,
                _("The role is still held by employees or departments; remove them from it first."),
            )
            return redirect(reverse("system:role_list") + "?" + urlencode(request.GET))
        return super().post(request, *args, **kwargs)


@access_rule(special(SpecialPermission.MANAGE_USERS, "system.role"))
class RolePermissionsView(ManageUsersRequired, LoginRequiredMixin, TemplateView):
    """The role editor: permission matrix, special permissions, data scopes, holders."""

    template_name = "system/roles/role_permissions.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(ROLE.perm("change")):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, data=None):
        self.role = get_object_or_404(Role, pk=self.kwargs["pk"])
        self.rows = matrix_rows()
        form = RolePermissionsForm(
            data, role=self.role, object_types=owned_object_types(), rows=self.rows
        )
        apply_pickers(form, self.request.user)  # role holders: chips, a click adds one
        return form

    def get_context_data(self, form=None, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = form or self.get_form()
        checked = set(form["perm"].value() or [])
        modules = []
        for row in self.rows:
            if not modules or modules[-1]["module"] != row["module"]:
                modules.append({"module": row["module"], "label": row["module_label"], "rows": []})
            modules[-1]["rows"].append(
                {
                    "label": row["label"],
                    "cells": [
                        {"key": key, "checked": key in checked, "action": action}
                        for key, action in zip(row["cells"], CRUD, strict=True)
                    ],
                }
            )
        ctx.update(
            role=self.role,
            object=self.role,
            list_label=ROLE.verbose_name_plural(),
            form=form,
            modules=modules,
            actions=[_("View"), _("Add"), _("Change"), _("Delete")],
            scope_rows=form.scope_rows(),
        )
        return ctx

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                update_role_permissions(
                    role=self.role,
                    permissions=form.permissions(),
                    scopes=data["scopes"],
                    default_view=data["default_view"],
                    default_edit=data["default_edit"],
                    department_ids={d.pk for d in data["departments"]},
                    user_ids={u.pk for u in data["users"]},
                    actor=request.user,
                    version=data.get("version"),
                )
            except StaleObjectError as exc:
                form.add_error(None, exc)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(
                    request, _("Saved the permissions of %(role)s.") % {"role": self.role}
                )
                return HttpResponseRedirect(reverse("system:role_detail", args=[self.role.pk]))
        return self.render_to_response(self.get_context_data(form=form))


def scope_words(scope: str) -> str:
    return str(DataScope(scope).label)


class EffectivePermissionsView(ManageUsersRequired, LoginRequiredMixin, TemplateView):
    """What one employee may actually do, and why: roles, modules, special rights, data."""

    template_name = "system/roles/effective_permissions.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = EffectivePermissionsForm(self.request.GET or None)
        apply_pickers(form, self.request.user)
        ctx["form"] = form
        if form.is_bound and form.is_valid():
            ctx.update(explain(User.objects.get(pk=form.cleaned_data["user"].pk)))
        return ctx


def explain(target) -> dict:
    """Everything the effective-permissions page shows for ``target``."""
    from ..access import compute_access
    from ..models import Department

    access = compute_access(target)
    target._kehu_access = access
    direct = set(target.roles.values_list("pk", flat=True))
    ancestors = set(access.ancestor_ids)
    roles = []
    for role in Role.objects.filter(pk__in=access.role_ids).prefetch_related("departments"):
        via = [d for d in role.departments.all() if d.pk in ancestors]
        roles.append({"role": role, "direct": role.pk in direct, "via": via})
    perms = target.get_all_permissions() if target.is_active else set()
    modules = []
    for row in matrix_rows():
        allowed = [bool(key) and (target.is_superuser or key in perms) for key in row["cells"]]
        if not any(allowed):
            continue
        if not modules or modules[-1]["module"] != row["module"]:
            modules.append({"module": row["module"], "label": row["module_label"], "rows": []})
        modules[-1]["rows"].append({"label": row["label"], "allowed": allowed})
    specials = [
        {
            "label": label,
            "granted": target.is_active and target.has_perm(f"system.{code}"),
        }
        for code, label in SPECIAL_PERMISSION_LABELS.items()
    ]
    data = []
    for ot in owned_object_types():
        model = ot.model
        if target.is_superuser:
            view = edit = DataScope.ALL
        else:
            view, edit = access.scope(model, Access.VIEW), access.scope(model, Access.EDIT)
        data.append(
            {
                "label": ot.verbose_name_plural(),
                "view": scope_words(view),
                "edit": scope_words(edit),
                "may_view": target.has_perm(ot.perm("view")),
                "visible": model.objects.visible_to(target).count(),
                "editable": model.objects.editable_by(target).count(),
            }
        )
    department = Department.objects.filter(pk=target.department_id).first()
    return {
        "target": target,
        "department": department,
        "roles": roles,
        "modules": modules,
        "actions": [_("View"), _("Add"), _("Change"), _("Delete")],
        "specials": specials,
        "data": data,
    }


class DepartmentChoiceField(forms.ModelChoiceField):
    """Departments indented by depth, so the tree reads in a plain select."""

    def label_from_instance(self, obj) -> str:
        return f"{chr(0x3000) * obj.depth}{obj.name}"


class ShareForm(forms.Form):
    """Who to share a record with; the action decides whether the choice is valid."""

    user = forms.ModelChoiceField(
        label=gettext_lazy("Employee"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    department = DepartmentChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.active(), required=False
    )
    can_edit = forms.BooleanField(label=gettext_lazy("may edit"), required=False)

    def __init__(self, *args, actor, obj=None, **kwargs):
        """Offer only the people and departments ``actor`` may share with (``share_targets``),
        and whoever asked them for a share of ``obj``."""
        super().__init__(*args, **kwargs)
        users, departments = share_targets(actor)
        asked = share_requesters(obj, actor) if obj is not None else []
        if asked:
            users = User.objects.filter(is_active=True).filter(
                Q(pk__in=users.values("pk")) | Q(pk__in=asked)
            )
        self.fields["user"].queryset = users.order_by("username")
        self.fields["department"].queryset = departments


@access_rule(record(FROM_PATH))
class RecordSharesView(LoginRequiredMixin, View):
    """The share widget of one owned record's detail page (an HTMX partial).

    Seeing it needs the record type's view permission and the record among the visible ones
    (404 otherwise); adding or removing shares needs the change permission and the record among
    the editable ones (403 otherwise). ``share_record``/``unshare_record`` check that again.
    """

    template_name = "system/roles/_record_shares.html"
    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        ot = find_object_type(kwargs["label"])
        if ot is None or ot.model.owner_path is None:
            raise Http404
        if not request.user.has_perm(ot.perm("view")):
            raise PermissionDenied
        self.object_type = ot
        self.object = get_object_or_404(ot.model.objects.visible_to(request.user), pk=kwargs["pk"])
        self.can_share = request.user.has_perm(ot.perm("change")) and may_share(
            self.object, request.user
        )
        if request.method == "POST" and not self.can_share:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def shares(self):
        ct = ContentType.objects.get_for_model(type(self.object))
        return (
            RecordShare.objects.filter(content_type=ct, object_id=self.object.pk)
            .select_related("user", "department", "created_by", "updated_by")
            .order_by("department__path", "user__username", "pk")
        )

    def render_widget(self, form=None):
        return render(
            self.request,
            self.template_name,
            {
                "object": self.object,
                "object_type": self.object_type,
                "shares": self.shares(),
                "can_share": self.can_share,
                "form": form or ShareForm(actor=self.request.user, obj=self.object),
            },
        )

    def get(self, request, *args, **kwargs):
        """``?user=<id>``: that colleague preselected (the link of a share request)."""
        wanted = request.GET.get("user", "")
        if wanted.isdigit() and self.can_share:
            return self.render_widget(
                ShareForm(actor=request.user, obj=self.object, initial={"user": int(wanted)})
            )
        return self.render_widget()

    def post(self, request, *args, **kwargs):
        form = ShareForm(request.POST, actor=request.user, obj=self.object)
        if form.is_valid():
            data = form.cleaned_data
            try:
                share_record(
                    obj=self.object,
                    user=data["user"],
                    department=data["department"],
                    can_edit=data["can_edit"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                form = None
        return self.render_widget(form)


class RecordShareDeleteView(RecordSharesView):
    """Withdraw one share of the record, then re-render the widget."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        ct = ContentType.objects.get_for_model(type(self.object))
        share = get_object_or_404(
            RecordShare, pk=kwargs["share_pk"], content_type=ct, object_id=self.object.pk
        )
        form = ShareForm(actor=request.user, obj=self.object)
        try:
            unshare_record(share=share, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        return self.render_widget(form)


kw = {"object_type": ROLE}
urlpatterns = [
    path("roles/", RoleListView.as_view(**kw), name="role_list"),
    path("roles/add/", RoleEditView.as_view(**kw), name="role_add"),
    path("roles/bulk-delete/", RoleBulkDeleteView.as_view(**kw), name="role_bulk_delete"),
    path("roles/<int:pk>/", RoleDetailView.as_view(**kw), name="role_detail"),
    path("roles/<int:pk>/edit/", RoleEditView.as_view(**kw), name="role_edit"),
    path("roles/<int:pk>/delete/", RoleDeleteView.as_view(**kw), name="role_delete"),
    path("roles/<int:pk>/permissions/", RolePermissionsView.as_view(), name="role_permissions"),
    path(
        "effective-permissions/",
        EffectivePermissionsView.as_view(),
        name="effective_permissions",
    ),
    path("shares/<str:label>/<int:pk>/", RecordSharesView.as_view(), name="record_shares"),
    path(
        "shares/<str:label>/<int:pk>/<int:share_pk>/delete/",
        RecordShareDeleteView.as_view(),
        name="record_share_delete",
    ),
]
