"""The duplicate review queue's menu entry; the matching signal receivers are connected here."""

from django.utils.translation import gettext_lazy as _

from kehu.core.registry import Page, register_page

from ..actions.matching import connect_signals

register_page(
    Page(
        module="customers",
        label=_("Possible duplicates"),
        url_name="customers:duplicate_list",
        perm="customers.view_duplicatecandidate",
        icon="bi-intersect",
        order=50,
    )
)
connect_signals()
