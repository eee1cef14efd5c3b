"""System set-up forms: departments and employees."""

from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm
from kehu.core.pickers import apply_pickers

from ..models import Department, EmployeeSkill, Role, User


class DepartmentForm(BaseModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "kind", "parent", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Department.objects.order_by("path")
        if self.instance.pk:
            # Moving a department under itself or below would make a cycle.
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda d: "\u3000" * d.depth + d.name


class EmployeeForm(BaseModelForm):
    """Employees are created with an optional initial password (validated by Django's rules)."""

    password1 = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to create the account without a password (it cannot log in)."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "display_name",
            "employee_no",
            "department",
            "manager",
            "title",
            "phone",
            "email",
            "roles",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["password1"]
            del self.fields["password2"]
        else:
            self.order_fields(["username", "display_name", "password1", "password2"])
        self.fields["department"].queryset = Department.objects.filter(is_active=True).order_by(
            "path"
        )
        self.fields["department"].label_from_instance = lambda d: "\u3000" * d.depth + d.name
        managers = User.objects.filter(is_active=True).order_by("username")
        if self.instance.pk:
            managers = managers.exclude(pk=self.instance.pk)
        self.fields["manager"].queryset = managers
        from ..filters.org import role_label

        self.fields["roles"].queryset = Role.objects.order_by("name")
        self.fields["roles"].label_from_instance = role_label
        self.fields["roles"].widget.attrs["size"] = 6
        self.fields["roles"].required = False

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 or p2:
            if p1 != p2:
                self.add_error("password2", _("The two passwords do not match."))
            else:
                probe = User(
                    username=data.get("username", ""),
                    display_name=data.get("display_name", ""),
                    email=data.get("email", ""),
                )
                try:
                    validate_password(p1, probe)
                except ValidationError as exc:
                    self.add_error("password1", exc)
        return data

    def action_data(self) -> dict:
        """The initial password goes to ``save_employee`` (validated there), not a field."""
        data = super().action_data()
        data["password"] = self.cleaned_data.get("password1") or None
        return data


class SkillForm(forms.ModelForm):
    class Meta:
        model = EmployeeSkill
        fields = ["skill", "level"]
        widgets = {
            "skill": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "level": forms.NumberInput(
                attrs={"class": "form-control form-control-sm", "min": 1, "max": 5}
            ),
        }


SkillFormSet = forms.inlineformset_factory(
    User, EmployeeSkill, form=SkillForm, extra=2, can_delete=True, max_num=30
)


def skills_from_formset(formset) -> dict[str, int]:
    skills = {}
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or not data.get("skill"):
            continue
        skills[data["skill"].strip()] = data["level"]
    return skills


class DeactivateEmployeeForm(forms.Form):
    left_on = forms.DateField(
        label=_("Left on"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    handover_to = forms.ModelMultipleChoiceField(
        label=_("Hand over to"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 10}),
        help_text=_("Records are shared out in turn among the colleagues you choose."),
    )

    def __init__(self, *args, employee: User, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = timezone.localdate()
        self.fields["handover_to"].queryset = (
            User.objects.filter(is_active=True, department__isnull=False)
            .exclude(pk=employee.pk)
            .select_related("department")
            .order_by("department__path", "username")
        )
        self.fields["handover_to"].label_from_instance = lambda u: (
            f"{u} · {u.department.name}" + (f" · {u.title}" if u.title else "")
        )
        apply_pickers(self, user)
