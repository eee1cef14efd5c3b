"""System set-up forms: roles, the role editor, the effective-permissions chooser."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import BaseModelForm
from kehu.core.permissions import SPECIAL_PERMISSION_LABELS, DataScope

from ..models import Department, Role, User

EDIT_WIDER = _("The edit scope cannot be wider than the view scope.")


class RoleForm(BaseModelForm):
    """Name, description and default scopes; permissions are edited on the role editor page."""

    class Meta:
        model = Role
        fields = ["name", "description", "default_view_scope", "default_edit_scope"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        view, edit = data.get("default_view_scope"), data.get("default_edit_scope")
        if view and edit and DataScope.rank(edit) > DataScope.rank(view):
            self.add_error("default_edit_scope", EDIT_WIDER)
        return data


def matrix_rows() -> list[dict]:
    """The functional-permission matrix: one row per model of each module, in module order.

    Each row has the module, the label (verbose_name_plural) and, per CRUD action, the
    "app.codename" key of its Permission (or None).
    """
    from django.apps import apps

    from ..actions.roles import CRUD, permission_modules

    modules = permission_modules()

    by_model: dict[tuple[str, str], dict[str, str]] = {}
    for app_label, model, codename in Permission.objects.filter(
        content_type__app_label__in=modules
    ).values_list("content_type__app_label", "content_type__model", "codename"):
        action = codename.split("_", 1)[0]
        if action in CRUD and codename == f"{action}_{model}":
            by_model.setdefault((app_label, model), {})[action] = f"{app_label}.{codename}"
    rows = []
    for module in modules:
        try:
            config = apps.get_app_config(module)
        except LookupError:
            continue
        models = []
        for (app_label, model), actions in by_model.items():
            if app_label != module:
                continue
            try:
                model_class = config.get_model(model)
            except LookupError:
                continue
            models.append((str(model_class._meta.verbose_name_plural), actions))
        for label, actions in sorted(models):
            rows.append(
                {
                    "module": module,
                    "module_label": config.verbose_name,
                    "label": label,
                    "cells": [actions.get(a) for a in CRUD],
                }
            )
    return rows


def special_choices() -> list[tuple[str, str]]:
    return [(f"system.{code}", label) for code, label in SPECIAL_PERMISSION_LABELS.items()]


class DepartmentTreeChoiceField(forms.ModelMultipleChoiceField):
    """Departments indented by depth, so the tree reads in a plain multi-select."""

    def label_from_instance(self, obj) -> str:
        return f"{chr(0x3000) * obj.depth}{obj.name}"


class RolePermissionsForm(forms.Form):
    """The role editor: functional and special permissions, data scopes, who holds the role."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    perm = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    special = forms.MultipleChoiceField(
        label=_("Special permissions"), required=False, widget=forms.CheckboxSelectMultiple
    )
    default_view = forms.ChoiceField(label=_("Default view scope"), choices=DataScope.choices)
    default_edit = forms.ChoiceField(label=_("Default edit scope"), choices=DataScope.choices)
    departments = DepartmentTreeChoiceField(
        label=_("Departments holding the role"),
        queryset=Department.objects.all(),
        required=False,
        help_text=_("Members of these departments and their sub-departments hold the role."),
    )
    users = forms.ModelMultipleChoiceField(
        label=_("Employees holding the role"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, role: Role, object_types, rows, **kwargs):
        self.role = role
        self.object_types = object_types
        current = {
            f"{app}.{codename}"
            for app, codename in role.permissions.values_list("content_type__app_label", "codename")
        }
        self.current_permissions = current
        self.matrix_keys = {key for row in rows for key in row["cells"] if key}
        specials = special_choices()
        special_keys = {k for k, _label in specials}
        scopes = {s.object_type: s for s in role.data_scopes.all()}
        initial = {
            "version": role.version,
            "perm": sorted(current & self.matrix_keys),
            "special": sorted(current & special_keys),
            "default_view": role.default_view_scope,
            "default_edit": role.default_edit_scope,
            "departments": list(role.departments.all()),
            "users": list(role.users.all()),
        }
        for ot in object_types:
            scope = scopes.get(ot.label)
            initial[f"view__{ot.label}"] = scope.view_scope if scope else ""
            initial[f"edit__{ot.label}"] = scope.edit_scope if scope else ""
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["perm"].choices = [(k, k) for k in sorted(self.matrix_keys)]
        self.fields["special"].choices = specials
        self.fields["special"].widget.attrs["class"] = "form-check-input"
        self.fields["users"].queryset = (
            User.objects.filter(Q(is_active=True) | Q(roles=role))
            .distinct()
            .order_by("username")
            .only("id", "username", "display_name", "first_name", "last_name")
        )
        self.fields["departments"].queryset = Department.objects.only("id", "name", "path", "depth")
        optional = [("", _("Role default")), *DataScope.choices]
        for ot in object_types:
            name = ot.verbose_name_plural()
            self.fields[f"view__{ot.label}"] = forms.ChoiceField(
                label=_("View scope of %(type)s") % {"type": name},
                choices=optional,
                required=False,
            )
            self.fields[f"edit__{ot.label}"] = forms.ChoiceField(
                label=_("Edit scope of %(type)s") % {"type": name},
                choices=optional,
                required=False,
            )
        for name in ("default_view", "default_edit", "departments", "users"):
            self.fields[name].widget.attrs.setdefault("class", "form-select")
        for ot in object_types:
            for kind in ("view", "edit"):
                self.fields[f"{kind}__{ot.label}"].widget.attrs["class"] = (
                    "form-select form-select-sm"
                )
        self.fields["departments"].widget.attrs["size"] = 8
        self.fields["users"].widget.attrs["size"] = 8

    def clean(self):
        data = super().clean()
        view, edit = data.get("default_view"), data.get("default_edit")
        if view and edit and DataScope.rank(edit) > DataScope.rank(view):
            self.add_error("default_edit", EDIT_WIDER)
        scopes = {}
        for ot in self.object_types:
            v, e = data.get(f"view__{ot.label}"), data.get(f"edit__{ot.label}")
            if not v and not e:
                continue
            v = v or view or DataScope.NONE
            e = e or edit or DataScope.NONE
            if not data.get(f"edit__{ot.label}") and DataScope.rank(e) > DataScope.rank(v):
                e = v  # an unset edit scope follows a narrower view scope
            if DataScope.rank(e) > DataScope.rank(v):
                self.add_error(f"edit__{ot.label}", EDIT_WIDER)
            scopes[ot.label] = (v, e)
        data["scopes"] = scopes
        return data

    def permissions(self) -> set[str]:
        """The complete permission set: what was ticked plus what the page does not show."""
        shown = self.matrix_keys | {k for k, _label in special_choices()}
        kept = self.current_permissions - shown
        return kept | set(self.cleaned_data["perm"]) | set(self.cleaned_data["special"])

    def scope_rows(self) -> list[dict]:
        return [
            {
                "label": ot.verbose_name_plural(),
                "view": self[f"view__{ot.label}"],
                "edit": self[f"edit__{ot.label}"],
            }
            for ot in self.object_types
        ]


class EffectivePermissionsForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Employee"),
        queryset=User.objects.order_by("username").only(
            "id", "username", "display_name", "first_name", "last_name"
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].widget.attrs["class"] = "form-select"
