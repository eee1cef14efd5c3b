from kehu.core.registry import ObjectType, register

from .filters import CustomerFilterSet
from .forms import CustomerForm
from .models import Customer

CUSTOMER = register(
    ObjectType(
        model=Customer,
        namespace="customers",
        filterset=CustomerFilterSet,
        form=CustomerForm,
        columns=["number", "name", "kind", "city", "phone", "level", "owner", "registered_on"],
        sortable=["number", "name", "city", "registered_on"],
        default_sort="-pk",
        search_fields=["name", "number", "mnemonic", "phone"],
        export_fields=[
            "number",
            "name",
            "mnemonic",
            "kind",
            "phone",
            "email",
            "city",
            "address",
            "industry",
            "level",
            "credit_limit",
            "registered_on",
            "owner",
            "department",
            "notes",
        ],
        select_related=["owner"],
        detail_fields=[
            "number",
            "name",
            "mnemonic",
            "kind",
            "phone",
            "email",
            "city",
            "address",
            "industry",
            "level",
            "credit_limit",
            "registered_on",
            "owner",
            "department",
            "notes",
        ],
    )
)
