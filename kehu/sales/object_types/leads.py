"""Object types of the leads area: leads and their settings (web forms, scoring and assignment
rules; the settings need ``sales.manage_lead_settings``)."""

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register
from kehu.core.saving import record_actions

from ..actions.leads_import import import_create_leads
from ..filters.leads import (
    LeadAssignmentRuleFilterSet,
    LeadFilterSet,
    LeadScoringRuleFilterSet,
    WebFormFilterSet,
)
from ..forms.leads import LeadAssignmentRuleForm, LeadForm, LeadScoringRuleForm, WebFormForm
from ..models.leads import (
    LEAD_FIELDS,
    MANAGE_PERM,
    Lead,
    LeadAssignmentRule,
    LeadScoringRule,
    WebForm,
)


def _save_lead(obj: Lead, *, user) -> Lead:
    from ..actions.leads import save_lead

    return save_lead(obj, user=user)


def _save_scoring_rule(obj: LeadScoringRule, *, user) -> LeadScoringRule:
    from ..actions.leads import save_scoring_rule

    return save_scoring_rule(obj, user=user)


def _delete_scoring_rule(*, user, obj: LeadScoringRule) -> None:
    from ..actions.leads import delete_scoring_rule

    delete_scoring_rule(user=user, obj=obj)


def _save_setting(obj, *, user, members=None):
    obj.full_clean()
    obj.save()
    if members is not None:
        obj.members.set(members)
    return obj


SETTINGS_LINKS = [
    Page("sales", _("Web forms"), "sales:webform_list", MANAGE_PERM, "bi-window"),
    Page("sales", _("Scoring rules"), "sales:leadscoringrule_list", MANAGE_PERM, "bi-123"),
    Page(
        "sales", _("Assignment rules"), "sales:leadassignmentrule_list", MANAGE_PERM, "bi-diagram-3"
    ),
]

LEAD = register(
    ObjectType(
        model=Lead,
        namespace="sales",
        filterset=LeadFilterSet,
        form=LeadForm,
        actions=record_actions(Lead, _save_lead, import_create=import_create_leads),
        columns=[
            "name",
            "company",
            "mobile",
            "city",
            "industry",
            "source",
            "status",
            "score",
            "owner",
            "created_at",
        ],
        sortable=["name", "company", "score", "created_at"],
        default_sort="-pk",
        search_fields=["name", "company", "mobile", "email"],
        export_fields=[*LEAD_FIELDS, "score", "owner", "department", "created_at", "converted_at"],
        select_related=["owner"],
        api_select_related=["owner", "department"],
        detail_fields=[
            *LEAD_FIELDS,
            "score",
            "web_form",
            "last_contacted_at",
            "owner",
            "department",
            "created_at",
            "converted_at",
        ],
        list_links=SETTINGS_LINKS,
        in_menu=False,  # the "Leads" page (kehu/sales/setup/leads.py) links the list
    )
)

WEB_FORM = register(
    ObjectType(
        model=WebForm,
        namespace="sales",
        filterset=WebFormFilterSet,
        form=WebFormForm,
        columns=["name", "active", "source", "campaign", "fallback_owner"],
        sortable=["name"],
        default_sort="name",
        search_fields=["name"],
        export_fields=["name", "active", "source", "campaign", "fallback_owner"],
        select_related=["fallback_owner"],
        detail_fields=[
            "name",
            "active",
            "title",
            "intro",
            "thank_you",
            "source",
            "campaign",
            "fallback_owner",
        ],
        extra_perms=(MANAGE_PERM,),
        in_menu=False,
    )
)

SCORING_RULE = register(
    ObjectType(
        model=LeadScoringRule,
        namespace="sales",
        filterset=LeadScoringRuleFilterSet,
        form=LeadScoringRuleForm,
        actions=record_actions(LeadScoringRule, _save_scoring_rule, delete=_delete_scoring_rule),
        columns=["name", "field", "condition", "value", "points", "active"],
        sortable=["name"],
        default_sort="pk",
        search_fields=["name"],
        export_fields=["name", "field", "condition", "value", "points", "active"],
        detail_fields=["name", "field", "condition", "value", "points", "active"],
        extra_perms=(MANAGE_PERM,),
        in_menu=False,
    )
)

ASSIGNMENT_RULE = register(
    ObjectType(
        model=LeadAssignmentRule,
        namespace="sales",
        filterset=LeadAssignmentRuleFilterSet,
        form=LeadAssignmentRuleForm,
        actions=record_actions(LeadAssignmentRule, _save_setting, extra=("members",)),
        columns=[
            "name",
            "position",
            "match_field",
            "match_values",
            "method",
            "department",
            "active",
        ],
        sortable=["name"],
        default_sort="pk",
        search_fields=["name"],
        export_fields=[
            "name",
            "position",
            "match_field",
            "match_values",
            "method",
            "department",
            "active",
        ],
        select_related=["department"],
        detail_fields=[
            "name",
            "position",
            "active",
            "match_field",
            "match_values",
            "method",
            "department",
            "last_assigned",
        ],
        extra_perms=(MANAGE_PERM,),
        in_menu=False,
    )
)
