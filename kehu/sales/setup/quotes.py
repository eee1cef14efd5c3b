"""Start-up registrations of the quotes area: the customer page's quotes and price history
cards, and the quotes on the customer's timeline."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def quotes_panel(customer, user) -> dict | None:
    """The customer's latest quotes the user may see (1 query); no card without any."""
    from ..models import Quote

    quotes = list(
        Quote.objects.visible_to(user)
        .filter(customer=customer)
        .exclude(status=Quote.Status.SUPERSEDED)
        .order_by("-created_at", "-pk")[:6]
    )
    if not quotes:
        return None
    return {
        "quotes": quotes,
        "add_url": reverse("sales:quote_add") + f"?customer={customer.number}",
        "list_url": reverse("sales:quote_list") + f"?customer_number={customer.number}",
    }


def price_history_panel(customer, user) -> dict | None:
    """The last price of each product quoted to the customer, with the other prices quoted."""
    from ..actions.quotes import customer_price_history

    rows = customer_price_history(customer=customer, user=user, limit=8)
    if not rows:
        return None
    return {"rows": rows}


def quote_entries(customer, user, *, before, limit):
    from kehu.customers.timeline import TimelineEntry

    from ..models import Quote

    qs = Quote.objects.visible_to(user).filter(customer=customer)
    if before is not None:
        qs = qs.filter(created_at__lte=before)
    for quote in qs.select_related("owner").order_by("-created_at", "-pk")[:limit]:
        yield TimelineEntry(
            when=quote.created_at,
            kind="quote",
            icon="bi-file-earmark-text",
            title=_("Quote %(number)s v%(version)s: %(title)s")
            % {"number": quote.number, "version": quote.version_no, "title": quote.title},
            summary=f"{quote.total:,.2f} {quote.currency} · {quote.get_status_display()}",
            url=reverse("sales:quote_detail", args=[quote.pk]),
            actor=str(quote.owner) if quote.owner else "",
        )


def ready() -> None:
    from kehu.customers.timeline import register_customer_panel, register_timeline_source

    from ..actions.quotes import register_floor_approval

    register_floor_approval()
    register_customer_panel(
        "quotes",
        label=gettext_lazy("Quotes"),
        template="sales/quotes/_customer_quotes.html",
        context=quotes_panel,
        perm="sales.view_quote",
        order=40,
    )
    register_customer_panel(
        "price_history",
        label=gettext_lazy("Price history"),
        template="sales/quotes/_customer_prices.html",
        context=price_history_panel,
        perm="sales.view_quote",
        order=41,
    )
    register_timeline_source(
        "quotes", quote_entries, label=gettext_lazy("Quotes"), perm="sales.view_quote", order=40
    )
