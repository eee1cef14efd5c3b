from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from ..actions.imports import create_contacts, create_customers
from ..filters import ContactFilterSet, CustomerFilterSet
from ..forms import ContactForm, CustomerForm
from ..models import CONTACT_FIELDS, CUSTOMER_FIELDS, OWNERSHIP_FIELDS, Contact, Customer


def _save_customer(obj: Customer, *, user) -> Customer:
    from ..actions import save_customer

    # created by hand (form, API): the company-wide duplicate check (撞单) applies
    return save_customer(customer=obj, user=user, company_check=obj._state.adding)


def _save_contact(obj: Contact, *, user) -> Contact:
    from ..actions import save_contact

    return save_contact(contact=obj, user=user)


CUSTOMER = register(
    ObjectType(
        model=Customer,
        namespace="customers",
        filterset=CustomerFilterSet,
        form=CustomerForm,
        actions=record_actions(Customer, _save_customer, import_create=create_customers),
        columns=[
            "number",
            "name",
            "customer_type",
            "status",
            "level",
            "lifecycle_stage",
            "city",
            "phone",
            "owner",
            "registered_on",
        ],
        sortable=["number", "name", "city", "registered_on", "lifecycle_stage"],
        sort_keys={"name": "name_sort"},  # Chinese names in pinyin order
        bulk_fields=["level", "status", "customer_type", "industry", "credit_rating", "city"],
        default_sort="-pk",
        search_fields=["name", "number", "mnemonic", "phone"],
        export_fields=[*CUSTOMER_FIELDS, *OWNERSHIP_FIELDS],
        select_related=["owner"],
        api_select_related=["parent"],
        # The parent company has its own card on the customer page.
        detail_fields=[f for f in (*CUSTOMER_FIELDS, *OWNERSHIP_FIELDS) if f != "parent"],
        list_links=[
            Page(
                "customers",
                _("Merge"),
                "customers:customer_merge",
                "system.merge_records",
                "bi-union",
            ),
            Page(
                "customers",
                _("Merge history"),
                "customers:customer_merge_list",
                None,
                "bi-clock-history",
            ),
            Page(
                "customers",
                _("Recycle bin"),
                "customers:recycle_bin",
                "customers.delete_customer",
                "bi-trash3",
            ),
        ],
    )
)

# Pages of the customers module beyond the object lists.
register_page(
    Page(
        module="customers",
        label=_("Customer lifecycle"),
        url_name="customers:lifecycle",
        perm="customers.view_customer",
        icon="bi-arrow-repeat",
        order=40,
    )
)
register_page(
    Page(
        module="customers",
        label=_("Customer care"),
        url_name="customers:care",
        perm="customers.view_caretask",
        icon="bi-gift",
        order=50,
    )
)
register_page(
    Page(
        module="customers",
        label=_("Handover"),
        url_name="system:handover",
        perm="system.hand_over_books",  # managers: their team's books (the system page: anyone's)
        icon="bi-arrow-left-right",
        order=60,
    )
)

CONTACT = register(
    ObjectType(
        model=Contact,
        namespace="customers",
        filterset=ContactFilterSet,
        form=ContactForm,
        actions=record_actions(Contact, _save_contact, import_create=create_contacts),
        columns=["name", "customer", "title", "work_department", "mobile", "office_phone", "email"],
        sortable=["name"],
        sort_keys={"name": "name_sort"},  # Chinese names in pinyin order
        default_sort="-pk",
        search_fields=["name", "mobile", "email"],
        export_fields=[*CONTACT_FIELDS, *OWNERSHIP_FIELDS],
        select_related=["customer"],
        api_select_related=["customer"],
        detail_fields=[*CONTACT_FIELDS, *OWNERSHIP_FIELDS],
        list_links=[
            Page(
                "customers",
                _("Merge"),
                "customers:contact_merge",
                "system.merge_records",
                "bi-union",
            ),
            Page(
                "customers",
                _("Merge history"),
                "customers:contact_merge_list",
                None,
                "bi-clock-history",
            ),
            Page(
                "customers",
                _("Recycle bin"),
                "customers:contact_recycle_bin",
                "customers.delete_contact",
                "bi-trash3",
            ),
        ],
    )
)
