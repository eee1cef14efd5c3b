from django.utils.translation import gettext_lazy as _

from kehu.core.registry import ObjectType, Page, register, register_page
from kehu.core.saving import record_actions

from ..filters import ActivityFilterSet
from ..forms import ActivityForm
from ..models import ACTIVITY_FIELDS, OWNERSHIP_FIELDS, Activity


def _save_activity(obj: Activity, *, user, contacts=None, reassign_to=None) -> Activity:
    from ..actions import save_activity_giving_owner

    return save_activity_giving_owner(
        activity=obj, user=user, contacts=contacts, reassign_to=reassign_to
    )


#: Contacts (many-to-many) have their own line on the detail page and are left out of exports.
SCALAR_FIELDS = [f for f in ACTIVITY_FIELDS if f != "contacts"]

ACTIVITY = register(
    ObjectType(
        model=Activity,
        namespace="customers",
        filterset=ActivityFilterSet,
        form=ActivityForm,
        actions=record_actions(Activity, _save_activity, extra=("reassign_to",)),
        columns=["start_at", "kind", "subject", "customer", "status", "owner", "commitment_due"],
        sortable=["start_at", "subject", "commitment_due"],
        default_sort="-start_at",
        # Opened without a query: the open activities, overdue first, then today's, then the
        # upcoming ones (far-future ones last); "All" statuses lists the newest first.
        default_query="status=planned&sort=start_at",
        search_fields=["subject"],
        export_fields=[*SCALAR_FIELDS, *OWNERSHIP_FIELDS, "completed_at"],
        select_related=["customer", "owner"],
        api_select_related=["customer", "owner"],
        detail_fields=[*SCALAR_FIELDS, "completed_at", "owner"],
        plural="activities",
    )
)

register_page(
    Page(
        module="customers",
        label=_("Calendar"),
        url_name="customers:calendar",
        perm="customers.view_activity",
        icon="bi-calendar3",
        order=10,
    )
)
