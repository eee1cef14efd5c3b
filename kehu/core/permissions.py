"""Permission vocabulary: data scopes, actions and special permissions.

The rules that grant them (roles, departments) live in ``kehu.system.access``; everything that
asks "may this user see/edit this" goes through :class:`~kehu.core.models.RestrictedQuerySet`.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataScope(models.TextChoices):
    """Which records of an object type a role reaches, narrowest first."""

    NONE = "none", _("None")
    OWN = "own", _("Own records")
    DEPARTMENT = "department", _("Own department")
    SUBTREE = "subtree", _("Own department and sub-departments")
    ALL = "all", _("All records")

    @classmethod
    def rank(cls, scope: str) -> int:
        return [c.value for c in cls].index(scope)

    @classmethod
    def widest(cls, scopes) -> "DataScope":
        best = cls.NONE
        for scope in scopes:
            if cls.rank(scope) > cls.rank(best):
                best = cls(scope)
        return best


class Access(StrEnum):
    VIEW = "view"
    EDIT = "edit"


class SpecialPermission(StrEnum):
    """Special permissions (特殊权限): ``app_label.codename`` of the Permission rows."""

    EXPORT = "system.export_data"
    IMPORT = "system.import_data"
    MERGE = "system.merge_records"
    PURGE = "system.purge_records"
    SEE_COST = "system.see_cost"
    SELL_BELOW_FLOOR = "system.sell_below_floor"
    REASSIGN_OWNER = "system.reassign_owner"
    MANAGE_USERS = "system.manage_users"
    HAND_OVER = "system.hand_over_books"
    VIEW_AUDIT = "system.view_audit"
    ERASE_PERSONAL_DATA = "system.erase_personal_data"
    SHARE_VIEWS = "system.share_saved_views"


SPECIAL_PERMISSION_LABELS = {
    "export_data": _("Export data"),
    "import_data": _("Import data"),
    "merge_records": _("Merge records"),
    "purge_records": _("Purge records (hard or bulk delete)"),
    "see_cost": _("See cost and margin"),
    "sell_below_floor": _("Sell below floor price"),
    "reassign_owner": _("Reassign owner"),
    "manage_users": _("Manage users"),
    "hand_over_books": _("Hand over the books of employees in their data scope"),
    "view_audit": _("View audit trail"),
    "erase_personal_data": _("Erase personal data (PIPL/GDPR requests)"),
    "share_saved_views": _("Share saved views with everyone"),
}


#: What stands in for a related record the user may not see (a parent company in another
#: branch): in forms, detail pages and exports, instead of its name or number.
HIDDEN_RECORD = _("(not visible to you)")
