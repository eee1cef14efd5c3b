"""System set-up views: departments (list, detail, tree) and employees (with leaving)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from kehu.core.access_rules import access_rule, perm, special
from kehu.core.errors import StaleObjectError
from kehu.core.permissions import SpecialPermission
from kehu.core.views import (
    ObjectBulkDeleteView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    save_form,
)

from .. import actions
from ..filters.org import role_label
from ..forms.org import DeactivateEmployeeForm, SkillFormSet, skills_from_formset
from ..models import Department
from ..object_types.org import DEPARTMENT, EMPLOYEE

# --- Departments --------------------------------------------------------------------------------


class DepartmentDetailView(ObjectDetailView):
    def get_template_names(self):
        return ["system/org/department_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = ctx["object"]
        ctx.update(
            children=obj.children.annotate(
                active_members=Count("members", filter=Q(members__is_active=True))
            ).order_by("code"),
            members=obj.members.filter(is_active=True).order_by("username")[:200],
            ancestors=Department.objects.filter(path__in=obj.ancestor_paths())
            .exclude(pk=obj.pk)
            .order_by("depth"),
            can_view_users=self.request.user.has_perm(EMPLOYEE.perm("view")),
        )
        return ctx


def build_tree(departments) -> list[dict]:
    """Nest departments (ordered by path) into ``{"node", "children"}`` dicts."""
    by_id: dict[int, dict] = {}
    roots: list[dict] = []
    for dept in departments:
        entry = {"node": dept, "children": []}
        by_id[dept.pk] = entry
        parent = by_id.get(dept.parent_id)
        (parent["children"] if parent else roots).append(entry)

    def total(entry) -> int:
        entry["subtree_members"] = entry["node"].active_members + sum(
            total(child) for child in entry["children"]
        )
        return entry["subtree_members"]

    for root in roots:
        total(root)
    return roots


@access_rule(perm(DEPARTMENT.perm("view")))
@login_required
def department_tree(request):
    if not request.user.has_perm(DEPARTMENT.perm("view")):
        raise PermissionDenied
    show_inactive = request.GET.get("inactive") == "1"
    qs = Department.objects.visible_to(request.user).annotate(
        active_members=Count("members", filter=Q(members__is_active=True))
    )
    if not show_inactive:
        qs = qs.filter(is_active=True)
    departments = list(qs.order_by("path"))
    return render(
        request,
        "system/org/department_tree.html",
        {
            "tree": build_tree(departments),
            "count": len(departments),
            "show_inactive": show_inactive,
            "can_add": request.user.has_perm(DEPARTMENT.perm("add")),
            # levels 1-4 open: the fifth level shows; deeper ones open from their marker
            "open_depth": 4,
        },
    )


# --- Employees ----------------------------------------------------------------------------------


@access_rule(special(SpecialPermission.MANAGE_USERS))
class ManageUsersMixin:
    """Changing people needs the special permission on top of the model permission."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(
            SpecialPermission.MANAGE_USERS
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class EmployeeDetailView(ObjectDetailView):
    def get_template_names(self):
        return ["system/org/user_detail.html"]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = ctx["object"]
        may_manage = self.request.user.has_perm(SpecialPermission.MANAGE_USERS)
        ctx.update(
            roles=[role_label(r) for r in obj.roles.order_by("name")],
            skills=obj.skills.all(),
            reports=obj.reports.filter(is_active=True).order_by("username")[:100],
            can_change=ctx["can_change"] and may_manage,
            can_deactivate=ctx["can_change"]
            and may_manage
            and obj.is_active
            and obj.pk != self.request.user.pk,
            handovers=actions.handover_summary(obj) if obj.is_active and may_manage else [],
            can_hand_over=may_manage,
        )
        return ctx


class EmployeeEditView(ManageUsersMixin, ObjectEditView):
    """The employee form, with the skills formset when editing an existing employee."""

    template_name = "system/org/user_form.html"

    def formset(self, obj, data=None):
        if obj is None:
            return None
        return SkillFormSet(data, instance=obj, prefix="skills")

    def get_context_data(self, form=None, formset=None, **kwargs):
        ctx = super().get_context_data(form=form, **kwargs)
        ctx["formset"] = formset if formset is not None else self.formset(ctx["object"])
        return ctx

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        form = EMPLOYEE.form(request.POST, instance=obj, user=request.user)
        # A post without the skills section (a script, an older form) leaves skills unchanged.
        formset = self.formset(obj, request.POST) if "skills-TOTAL_FORMS" in request.POST else None
        if form.is_valid() and (formset is None or formset.is_valid()):
            try:
                with transaction.atomic():
                    saved = save_form(EMPLOYEE, form, user=request.user, obj=obj)
                    if formset is not None:
                        actions.set_employee_skills(
                            employee=saved, skills=skills_from_formset(formset)
                        )
            except (StaleObjectError, ValidationError) as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved %(object)s.") % {"object": saved})
                return HttpResponseRedirect(reverse(EMPLOYEE.url_name("detail"), args=[saved.pk]))
        return self.render_to_response(self.get_context_data(form=form, formset=formset, **kwargs))


class EmployeeDeleteView(ObjectDeleteView):
    """People are never deleted: the object type is not deletable, so this answers 403."""


class EmployeeDeactivateView(ManageUsersMixin, ObjectDetailView):
    """Deactivate a leaving employee and hand what they own over to colleagues."""

    action = "change"
    template_name = "system/org/user_deactivate.html"

    def get_template_names(self):
        return [self.template_name]

    def get_context_data(self, form=None, **kwargs):
        ctx = super().get_context_data(**kwargs)
        employee = self.get_editable_object(kwargs["pk"])
        ctx.update(
            form=form or DeactivateEmployeeForm(employee=employee, user=self.request.user),
            handovers=actions.handover_summary(employee),
            is_self=employee.pk == self.request.user.pk,
        )
        return ctx

    def post(self, request, *args, **kwargs):
        employee = self.get_editable_object(kwargs["pk"])
        form = DeactivateEmployeeForm(request.POST, employee=employee, user=request.user)
        if form.is_valid():
            try:
                actions.deactivate_employee(
                    employee=employee,
                    left_on=form.cleaned_data["left_on"],
                    handover_to=list(form.cleaned_data["handover_to"]),
                    by=request.user,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(
                    request, _("%(employee)s has been deactivated.") % {"employee": employee}
                )
                return redirect(EMPLOYEE.url_name("detail"), pk=employee.pk)
        return self.render_to_response(self.get_context_data(form=form, **kwargs))


class EmployeeReactivateView(ManageUsersMixin, ObjectDetailView):
    action = "change"

    def get(self, request, *args, **kwargs):
        return redirect(EMPLOYEE.url_name("detail"), pk=kwargs["pk"])

    def post(self, request, *args, **kwargs):
        employee = self.get_editable_object(kwargs["pk"])
        actions.reactivate_employee(employee=employee)
        messages.success(request, _("%(employee)s is active again.") % {"employee": employee})
        return redirect(EMPLOYEE.url_name("detail"), pk=employee.pk)


def _urls(ot, prefix: str, *, detail, edit, delete):
    """The URL names of ``object_urls()`` with our own detail/edit/delete views."""
    n = ot.name
    kw = {"object_type": ot}
    return [
        path(f"{prefix}/", ObjectListView.as_view(**kw), name=f"{n}_list"),
        path(f"{prefix}/add/", edit.as_view(**kw), name=f"{n}_add"),
        path(f"{prefix}/bulk-delete/", ObjectBulkDeleteView.as_view(**kw), name=f"{n}_bulk_delete"),
        path(f"{prefix}/<int:pk>/", detail.as_view(**kw), name=f"{n}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit.as_view(**kw), name=f"{n}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete.as_view(**kw), name=f"{n}_delete"),
    ]


urlpatterns = [
    path("departments/tree/", department_tree, name="department_tree"),
    *_urls(
        DEPARTMENT,
        "departments",
        detail=DepartmentDetailView,
        edit=ObjectEditView,
        delete=ObjectDeleteView,
    ),
    *_urls(
        EMPLOYEE,
        "employees",
        detail=EmployeeDetailView,
        edit=EmployeeEditView,
        delete=EmployeeDeleteView,
    ),
    path(
        "employees/<int:pk>/deactivate/",
        EmployeeDeactivateView.as_view(object_type=EMPLOYEE),
        name="user_deactivate",
    ),
    path(
        "employees/<int:pk>/reactivate/",
        EmployeeReactivateView.as_view(object_type=EMPLOYEE),
        name="user_reactivate",
    ),
]
