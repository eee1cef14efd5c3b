from kehu.core.registry import ObjectType, register

from ..filters import ContactFilterSet, CustomerFilterSet
from ..forms import ContactForm, CustomerForm
from ..models import CONTACT_FIELDS, CUSTOMER_FIELDS, OWNERSHIP_FIELDS, Contact, Customer

CUSTOMER = register(
    ObjectType(
        model=Customer,
        namespace="customers",
        filterset=CustomerFilterSet,
        form=CustomerForm,
        columns=[
            "number",
            "name",
            "customer_type",
            "status",
            "level",
            "city",
            "phone",
            "owner",
            "registered_on",
        ],
        sortable=["number", "name", "city", "registered_on"],
        default_sort="-pk",
        search_fields=["name", "number", "mnemonic", "phone"],
        export_fields=[*CUSTOMER_FIELDS, *OWNERSHIP_FIELDS],
        select_related=["owner"],
        api_select_related=["parent"],
        # The parent company has its own card on the customer page.
        detail_fields=[f for f in (*CUSTOMER_FIELDS, *OWNERSHIP_FIELDS) if f != "parent"],
    )
)

CONTACT = register(
    ObjectType(
        model=Contact,
        namespace="customers",
        filterset=ContactFilterSet,
        form=ContactForm,
        columns=["name", "customer", "title", "work_department", "mobile", "office_phone", "email"],
        sortable=["name"],
        default_sort="-pk",
        search_fields=["name", "mobile", "email"],
        export_fields=[*CONTACT_FIELDS, *OWNERSHIP_FIELDS],
        select_related=["customer"],
        api_select_related=["customer"],
        detail_fields=[*CONTACT_FIELDS, *OWNERSHIP_FIELDS],
    )
)
