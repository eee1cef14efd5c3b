"""Start-up registrations of the competitors area: the importer of competitors, the schema's
enum names and the intelligence notes in the customer's 360° timeline."""

from __future__ import annotations


def ready() -> None:
    from kehu.core.registry import register_enum_name

    from ..actions.competitors_import import CompetitorImporter
    from ..timeline.competitors import register as register_timeline

    CompetitorImporter.register()
    models = "kehu.sales.models.competitors"
    register_enum_name("DealCompetitorStatusEnum", f"{models}.DealCompetitor.Status")
    register_enum_name("IntelligenceSourceEnum", f"{models}.IntelligenceNote.Source")
    register_timeline()
