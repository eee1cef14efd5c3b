"""Forms of KPI definitions and targets (validation only: the actions save)."""

from __future__ import annotations

from kehu.core.forms import BaseModelForm
from kehu.core.permissions import Access

from .kpi_models import KpiDefinition, KpiTarget

__all__ = ["KpiDefinitionForm", "KpiTargetForm"]


class KpiDefinitionForm(BaseModelForm):
    class Meta:
        model = KpiDefinition
        fields = [
            "code",
            "name",
            "perspective",
            "measure",
            "unit",
            "direction",
            "weight",
            "position",
            "is_active",
            "description",
        ]


class KpiTargetForm(BaseModelForm):
    class Meta:
        model = KpiTarget
        fields = [
            "definition",
            "employee",
            "department",
            "period",
            "year",
            "number",
            "target",
            "actual",
            "note",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None:
            from kehu.core.providers import departments_in_scope, people_in_scope

            # targets only for the people and departments the user may edit targets of
            if "employee" in self.fields:
                self.fields["employee"].queryset = people_in_scope(
                    self.user, KpiTarget, Access.EDIT
                )
            if "department" in self.fields:
                self.fields["department"].queryset = departments_in_scope(
                    self.user, KpiTarget, Access.EDIT
                )
        if "definition" in self.fields:
            self.fields["definition"].queryset = KpiDefinition.objects.filter(is_active=True)
