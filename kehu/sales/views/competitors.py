"""Pages of the competitors area: a competitor's page (its price history, the deals it took
part in and the notes about it)."""

from __future__ import annotations

from kehu.core.views import ObjectDetailView

from ..actions.competitors import price_history
from ..models import DealCompetitor, IntelligenceNote, Opportunity


class CompetitorDetailView(ObjectDetailView):
    """The generic record page plus the competitor's product prices, its latest deals (those
    the user may see) and the intelligence notes about it."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        competitor = ctx["object"]
        user = self.request.user
        ctx["prices"] = (
            price_history(competitor) if user.has_perm("sales.view_competitorproduct") else None
        )
        ctx["can_add_price"] = user.has_perm("sales.add_competitorproduct")
        ctx["deal_links"] = None
        if user.has_perm("sales.view_opportunity"):
            ctx["deal_links"] = list(
                DealCompetitor.objects.filter(
                    competitor=competitor,
                    opportunity__in=Opportunity.objects.visible_to(user).values("pk"),
                )
                .select_related("opportunity", "opportunity__customer")
                .order_by("-opportunity__created_at", "-pk")[:20]
            )
        ctx["notes"] = None
        if user.has_perm("sales.view_intelligencenote"):
            ctx["notes"] = list(
                IntelligenceNote.objects.visible_to(user)
                .filter(competitor=competitor)
                .select_related("owner")
                .order_by("-date", "-pk")[:20]
            )
        ctx["can_add_note"] = user.has_perm("sales.add_intelligencenote")
        return ctx
