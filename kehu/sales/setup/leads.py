"""Start-up registrations of the leads area: navigation, the importer, the tasks, the customer
timeline entries of converted leads."""

from django.utils.translation import gettext_lazy as _


def ready() -> None:
    from kehu.core.registry import (
        DashboardCard,
        Page,
        register_dashboard_card,
        register_enum_name,
        register_page,
    )

    from ..actions.leads import my_new_leads_card
    from ..actions.leads_handover import register as register_handover
    from ..actions.leads_import import register as register_importer
    from ..timeline.leads import register as register_timeline

    register_page(
        Page(
            module="sales",
            label=_("Leads"),
            url_name="sales:lead_list",
            perm="sales.view_lead",
            icon="bi-person-lines-fill",
            order=10,
        )
    )
    models = "kehu.sales.models.leads"
    register_enum_name("LeadStatusEnum", f"{models}.Lead.Status")
    register_enum_name("LeadScoringFieldEnum", f"{models}.LeadScoringRule.Field")
    register_enum_name("LeadScoringConditionEnum", f"{models}.LeadScoringRule.Condition")
    register_enum_name("LeadAssignmentMethodEnum", f"{models}.LeadAssignmentRule.Method")
    register_enum_name("LeadAssignmentFieldEnum", f"{models}.LeadAssignmentRule.Field")
    register_importer()
    register_handover()
    register_dashboard_card(
        DashboardCard(
            key="my-new-leads",
            title=_("My new leads"),
            template="sales/leads/dashboard/my_new_leads.html",
            context=my_new_leads_card,
            order=25,
            perm="sales.view_lead",
            size="md",
            icon="bi-person-lines-fill",
            link="sales:lead_list",
        )
    )
    register_timeline()
