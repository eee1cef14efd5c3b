"""The handover page (工作交接): choose an employee, colleagues and a split, preview, execute.

Needs ``view_user`` and ``manage_users`` (any employee), or ``hand_over_books`` (employees and
colleagues whose customers the user may edit: a sales manager's department, a branch manager's
branch). GET previews (writes nothing);
POST runs ``actions.hand_over`` (all or nothing, audited, colleagues notified).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.access_rules import access_rule, special
from kehu.core.permissions import SpecialPermission

from .. import actions
from ..models import User


def may_hand_over(user) -> bool:
    return (
        user.has_perm("system.view_user") and user.has_perm(SpecialPermission.MANAGE_USERS)
    ) or user.has_perm(SpecialPermission.HAND_OVER)


def handover_people(user):
    """Employees ``user`` may hand over from and to: everyone with "manage users"; otherwise
    those in the user's edit scope for customers (leavers included), never more."""
    from django.apps import apps

    from kehu.core.permissions import Access, DataScope
    from kehu.system.access import get_access

    people = User.objects.all()
    if user.is_superuser or (
        user.has_perm("system.view_user") and user.has_perm(SpecialPermission.MANAGE_USERS)
    ):
        return people
    if not user.has_perm(SpecialPermission.HAND_OVER):
        return people.none()
    ua = get_access(user)
    scope = ua.scope(apps.get_model("customers", "customer"), Access.EDIT)
    if scope == DataScope.ALL:
        return people
    if scope == DataScope.DEPARTMENT and ua.department_id:
        return people.filter(department_id=ua.department_id)
    if scope == DataScope.SUBTREE and ua.department_id:
        return people.filter(department_id__in=ua.subtree_ids())
    return people.none()


def check_handover_people(user, employee, colleagues) -> None:
    """Refuse a handover from or to someone outside what ``user`` may hand over."""
    allowed = set(
        handover_people(user)
        .filter(pk__in=[employee.pk, *(c.pk for c in colleagues)])
        .values_list("pk", flat=True)
    )
    if employee.pk not in allowed or any(c.pk not in allowed for c in colleagues):
        raise PermissionDenied(_("You may only hand over within your own data scope."))


def _person_label(user: User) -> str:
    parts = [str(user)]
    if user.department_id:
        parts.append(user.department.name)
    if not user.is_active:
        parts.append(str(_("left")))
    return " · ".join(parts)


class HandoverForm(forms.Form):
    employee = forms.ModelChoiceField(
        label=gettext_lazy("Employee handing over"),
        queryset=User.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    handover_to = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Colleagues taking over"),
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 8}),
    )
    split = forms.ChoiceField(
        label=gettext_lazy("Split"),
        choices=actions.Split.choices,
        initial=actions.Split.ROUND_ROBIN,
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args, user, levels: list[tuple[str, str, int]] = (), employee_pk=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        people = handover_people(user)
        self.fields["employee"].queryset = people.select_related("department").order_by(
            "-is_active", "username"
        )
        self.fields["employee"].label_from_instance = _person_label
        self.fields["handover_to"].queryset = (
            people.filter(is_active=True, department__isnull=False)
            .exclude(pk=employee_pk if str(employee_pk or "").isdigit() else None)
            .select_related("department")
            .order_by("department__path", "username")
        )
        self.fields["handover_to"].label_from_instance = _person_label
        from kehu.core.pickers import apply_pickers

        apply_pickers(self, user)
        self.levels = list(levels)
        for code, label, count in self.levels:
            self.fields[f"level__{code}"] = forms.TypedChoiceField(
                label=f"{label} ({count})",
                coerce=int,
                required=False,
                choices=[("", _("Automatic"))],
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def set_level_choices(self, colleagues: list[User]) -> None:
        for code, _label, _count in self.levels:
            self.fields[f"level__{code}"].choices = [("", _("Automatic"))] + [
                (c.pk, str(c)) for c in colleagues
            ]

    def level_fields(self):
        return [self[f"level__{code}"] for code, _label, _count in self.levels]

    def level_map(self) -> dict[str, int]:
        return {
            code: self.cleaned_data[f"level__{code}"]
            for code, _label, _count in self.levels
            if self.cleaned_data.get(f"level__{code}")
        }


def _chosen_employee(user, data) -> User | None:
    """The employee named in the request, among those ``user`` may hand over: anyone else
    answers 404, so the page tells nothing (not even counts) about people outside the scope."""
    pk = (data or {}).get("employee") or ""
    if not str(pk).isdigit():
        return None
    employee = handover_people(user).filter(pk=pk).first()
    if employee is None:
        raise Http404
    return employee


def _levels(user, employee: User | None) -> list[tuple[str, str, int]]:
    """The customer levels the chosen employee owns, for the by-level split, counted over the
    customers ``user`` may see."""
    if employee is None:
        return []
    from kehu.system.params import dictionary_choices

    labels = dict(dictionary_choices("customer_level", include_inactive=True))
    return [
        (code, labels.get(code, code) if code else str(_("No level")), n)
        for code, n in actions.levels_owned(employee, user=user)
    ]


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@access_rule(special(SpecialPermission.HAND_OVER, alternatives=[SpecialPermission.MANAGE_USERS]))
@login_required
def handover(request):
    if not may_hand_over(request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    levels = _levels(request.user, _chosen_employee(request.user, data))
    if request.method == "GET" and "handover_to" not in data and "split" not in data:
        # Only the employee chosen (or nothing yet): show what they own, no errors.
        form = HandoverForm(
            initial={"employee": data.get("employee")},
            user=request.user,
            levels=levels,
            employee_pk=data.get("employee"),
        )
        data = None
    else:
        form = HandoverForm(
            data, user=request.user, levels=levels, employee_pk=data.get("employee")
        )
    if data is not None:
        colleague_ids = [i for i in data.getlist("handover_to") if str(i).isdigit()]
        form.set_level_choices(list(User.objects.filter(pk__in=colleague_ids).order_by("username")))
    preview = None
    summary = None
    level_plan = None
    if data is not None and form.is_valid():
        employee = form.cleaned_data["employee"]
        colleagues = list(form.cleaned_data["handover_to"])
        split = form.cleaned_data["split"]
        try:
            if request.method == "POST":
                received = actions.hand_over(
                    employee=employee,
                    colleagues=colleagues,
                    split=split,
                    level_map=form.level_map(),
                )
                total = sum(sum(got.values()) for got in received.values())
                messages.success(
                    request,
                    _("%(count)s records of %(employee)s were handed over to %(people)s.")
                    % {
                        "count": total,
                        "employee": employee,
                        "people": get_text_list([str(c) for c in colleagues], _("and")),
                    },
                )
                return redirect(f"{request.path}?employee={employee.pk}")
            plan = actions.plan_handover(
                employee=employee, colleagues=colleagues, split=split, level_map=form.level_map()
            )
            preview = actions.preview_handover(plan)
            if split == actions.Split.BY_LEVEL:
                effective = actions.default_level_map(
                    [(code, n) for code, _label, n in form.levels], colleagues, form.level_map()
                )
                level_plan = [
                    (label, n, plan.colleague(effective[code])) for code, label, n in form.levels
                ]
        except ValidationError as exc:
            _apply_errors(form, exc)
    employee = None
    chosen = (form.data if form.is_bound else request.GET).get("employee") or ""
    if str(chosen).isdigit():
        employee = form.fields["employee"].queryset.filter(pk=chosen).first()
    if employee is not None:
        summary = actions.handover_summary(employee)
    colleagues = list(form.cleaned_data["handover_to"]) if preview is not None else []
    return render(
        request,
        "system/org/handover.html",
        {
            "form": form,
            "employee": employee,
            "summary": summary,
            "preview": preview,
            "level_plan": level_plan,
            "show_levels": bool(form.levels)
            and (form.data if form.is_bound else {}).get("split") == actions.Split.BY_LEVEL,
            "colleagues": colleagues,
            "hidden": [(name, value) for name, values in request.GET.lists() for value in values]
            if preview is not None
            else [],
        },
    )


urlpatterns = [path("handover/", handover, name="handover")]
