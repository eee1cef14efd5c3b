"""The team figures of the managers' dashboard card, kept current every few minutes."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kehu.customers.refresh_team_figures", ignore_result=True)
def refresh_team_figures(full: bool = False) -> str:
    """Apply the changes since the last refresh (all of them); a full rebuild when the day
    changed or the last one is older than an hour."""
    from ..teamfigures import refresh

    return refresh(full=full)["done"]
