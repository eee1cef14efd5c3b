"""The quote as a PDF (WeasyPrint: HTML and CSS laid out with Pango, so Chinese text is shaped
with the Noto CJK fonts installed on the machine), in the active language."""

from __future__ import annotations

import base64
import logging
import mimetypes

from django.template.loader import render_to_string
from django.utils import timezone

from kehu.system.params import get_params

from .models import Quote

# WeasyPrint reports every step at INFO: only its warnings are worth a log line.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)


def _logo_data_uri() -> str:
    """The company logo of the system parameters as a data URI ('' without one)."""
    logo = get_params().logo
    if not logo:
        return ""
    try:
        with logo.open("rb") as fh:
            content = fh.read(2 * 1024 * 1024)
    except (OSError, ValueError):
        return ""
    kind = mimetypes.guess_type(logo.name)[0] or "image/png"
    if not kind.startswith("image/"):
        return ""
    return f"data:{kind};base64,{base64.b64encode(content).decode()}"


def quote_pdf(quote: Quote, *, user=None) -> bytes:
    """The PDF of ``quote`` (its lines, totals and terms) in the active language."""
    from weasyprint import HTML

    params = get_params()
    lines = list(quote.lines.select_related("product").order_by("position", "pk"))
    html = render_to_string(
        "sales/quotes/pdf.html",
        {
            "quote": quote,
            "lines": lines,
            "company": params.company_name,
            "logo": _logo_data_uri(),
            "today": timezone.localdate(),
            "owner": quote.owner,
        },
    )
    return HTML(string=html, base_url=None).write_pdf()
