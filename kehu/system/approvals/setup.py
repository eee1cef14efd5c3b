"""What approvals register from ``SystemConfig.ready``: the lock on every record type's writes
and the top-bar link with the count of requests waiting for the user."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def install() -> None:
    from kehu.core.registry import NavbarLink, register_navbar_link, registry
    from kehu.core.saving import WRITE_GUARDS

    from .actions import waiting_count, write_guard

    registry.hook(WRITE_GUARDS).add("system.approvals", write_guard)
    register_navbar_link(
        NavbarLink(
            "approvals",
            _("Approvals"),
            "bi-check2-square",
            "system:approval_list",
            count=waiting_count,
            order=10,
        )
    )
