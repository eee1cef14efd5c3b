from kehu.core.registry import ObjectType, register
from kehu.core.saving import record_actions

from .actions import save_gadget
from .filters import GadgetFilterSet
from .forms import GadgetForm
from .models import Gadget

GADGET = register(
    ObjectType(
        model=Gadget,
        namespace="plugin_app",
        filterset=GadgetFilterSet,
        form=GadgetForm,
        columns=["name", "bought_on", "owner"],
        sortable=["name", "bought_on"],
        default_sort="name",
        search_fields=["name"],
        export_fields=["name", "bought_on", "notes", "owner", "department"],
        select_related=["owner"],
        api_select_related=["owner", "department"],
        detail_fields=["name", "bought_on", "notes", "owner", "department"],
        actions=record_actions(Gadget, save_gadget),  # every writer goes through the rule
    )
)
