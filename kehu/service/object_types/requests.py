"""Object types of service requests, service contracts, installed goods, SLA policies and agent
profiles, and the service module's report pages."""

from django.utils.translation import gettext_lazy

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from ..filters.requests import (
    AgentProfileFilterSet,
    InstalledProductFilterSet,
    ServiceContractFilterSet,
    ServiceRequestFilterSet,
    SlaPolicyFilterSet,
)
from ..forms.requests import (
    AgentProfileForm,
    InstalledProductForm,
    ServiceContractForm,
    ServiceRequestForm,
    SlaPolicyForm,
)
from ..models import AgentProfile, InstalledProduct, ServiceContract, ServiceRequest, SlaPolicy


def _save_request(obj, *, user):
    from ..actions.requests import save_request

    return save_request(obj, user=user)


def _save_contract(obj, *, user, products=None):
    from ..actions.contracts import save_service_contract

    return save_service_contract(obj, user=user, products=products)


def _save_installed(obj, *, user):
    from ..actions.contracts import save_installed_product

    return save_installed_product(obj, user=user)


def _save_policy(obj, *, user):
    from ..actions.contracts import save_sla_policy

    return save_sla_policy(obj, user=user)


def _save_agent(obj, *, user, products=None):
    from ..actions.contracts import save_agent_profile

    return save_agent_profile(obj, user=user, products=products)


REQUEST_FIELDS = [
    "number",
    "customer",
    "contact",
    "channel",
    "type",
    "category",
    "priority",
    "product",
    "serial_number",
    "subject",
    "description",
    "status",
    "resolution",
    "agent",
    "routing_reason",
    "entitlement",
    "entitlement_note",
    "contract",
    "service_level",
    "first_response_due",
    "resolution_due",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "response_met",
    "resolution_met",
    "created_at",
    "owner",
    "department",
]

SERVICE_REQUEST = register(
    ObjectType(
        model=ServiceRequest,
        namespace="service",
        filterset=ServiceRequestFilterSet,
        form=ServiceRequestForm,
        actions=record_actions(ServiceRequest, _save_request),
        columns=[
            "number",
            "subject",
            "customer",
            "type",
            "priority",
            "status",
            "agent",
            "resolution_due",
        ],
        sortable=["number", "priority", "status", "resolution_due", "created_at"],
        default_sort="-pk",
        search_fields=["number", "subject"],
        export_fields=REQUEST_FIELDS,
        select_related=["customer", "agent"],
        api_select_related=["customer", "agent", "owner", "department"],
        detail_fields=REQUEST_FIELDS,
        plural="service-requests",
    )
)

SERVICE_CONTRACT = register(
    ObjectType(
        model=ServiceContract,
        namespace="service",
        filterset=ServiceContractFilterSet,
        form=ServiceContractForm,
        actions=record_actions(ServiceContract, _save_contract),
        columns=["number", "customer", "level", "start_date", "end_date", "owner"],
        sortable=["number", "end_date"],
        default_sort="-pk",
        search_fields=["number"],
        export_fields=[
            "number",
            "customer",
            "level",
            "start_date",
            "end_date",
            "notes",
            "owner",
            "department",
        ],
        select_related=["customer", "owner"],
        api_select_related=["customer", "owner", "department"],
        detail_fields=[
            "number",
            "customer",
            "level",
            "start_date",
            "end_date",
            "products",
            "notes",
            "owner",
            "department",
        ],
        plural="service-contracts",
    )
)

INSTALLED_PRODUCT = register(
    ObjectType(
        model=InstalledProduct,
        namespace="service",
        filterset=InstalledProductFilterSet,
        form=InstalledProductForm,
        actions=record_actions(InstalledProduct, _save_installed),
        columns=["serial_number", "product", "customer", "installed_on", "warranty_end"],
        sortable=["serial_number", "warranty_end"],
        default_sort="-pk",
        search_fields=["serial_number"],
        export_fields=[
            "customer",
            "product",
            "serial_number",
            "installed_on",
            "warranty_end",
            "notes",
            "owner",
            "department",
        ],
        select_related=["customer", "product"],
        api_select_related=["customer", "product", "owner", "department"],
        detail_fields=[
            "customer",
            "product",
            "serial_number",
            "installed_on",
            "warranty_end",
            "notes",
            "owner",
            "department",
        ],
        plural="installed-products",
    )
)

SLA_POLICY = register(
    ObjectType(
        model=SlaPolicy,
        namespace="service",
        filterset=SlaPolicyFilterSet,
        form=SlaPolicyForm,
        actions=record_actions(SlaPolicy, _save_policy),
        columns=["name", "level", "priority", "response_hours", "resolution_hours", "is_active"],
        sortable=["name"],
        default_sort="name",
        search_fields=["name"],
        export_fields=[
            "name",
            "level",
            "priority",
            "response_hours",
            "resolution_hours",
            "warn_percent",
            "is_active",
        ],
        detail_fields=[
            "name",
            "level",
            "priority",
            "response_hours",
            "resolution_hours",
            "warn_percent",
            "is_active",
        ],
        plural="sla-policies",
    )
)

AGENT_PROFILE = register(
    ObjectType(
        model=AgentProfile,
        namespace="service",
        filterset=AgentProfileFilterSet,
        form=AgentProfileForm,
        actions=record_actions(AgentProfile, _save_agent),
        columns=["user", "categories", "languages", "level", "availability", "max_load"],
        sortable=[],
        default_sort="-pk",
        search_fields=["user__username", "user__first_name", "user__last_name"],
        export_fields=["user", "categories", "languages", "level", "availability", "max_load"],
        select_related=["user"],
        detail_fields=[
            "user",
            "categories",
            "products",
            "languages",
            "level",
            "availability",
            "max_load",
        ],
        plural="service-agents",
    )
)

for _label, _url, _perm, _icon, _order in (
    (
        gettext_lazy("Call-centre console"),
        "service:console",
        "service.add_servicerequest",
        "bi-telephone-inbound",
        5,
    ),
    (
        gettext_lazy("SLA attainment"),
        "service:sla_report",
        "service.view_servicerequest",
        "bi-stopwatch",
        60,
    ),
    (
        gettext_lazy("Complaints report"),
        "service:complaints_report",
        "service.view_servicerequest",
        "bi-emoji-frown",
        61,
    ),
):
    register_page(
        Page(module="service", label=_label, url_name=_url, perm=_perm, icon=_icon, order=_order)
    )
