from django import template
from django.template.base import render_value_in_context
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kehu.core.cells import display

register = template.Library()

#: A primary key no record has: reversed once per page, then replaced by each row's.
_PK_SLOT = 987654321987


@register.filter
def cell(value):
    """Display a value in a table cell: dates localised, money grouped, empty as a dash
    (``kehu.core.cells.display``, the one rendering of list, detail and export values)."""
    return display(value)


@register.filter
def tel_number(value):
    """A phone number as a ``tel:`` link's target: its digits and a leading plus."""
    return "".join(ch for ch in str(value or "") if ch.isdigit() or ch == "+")


@register.inclusion_tag("core/_attachments.html", takes_context=True)
def attachments_card(context, obj):
    """The attachments card of ``obj`` (list, download, upload, remove): ``{% attachments_card
    object %}`` on any detail page of a registered type."""
    from kehu.core.actions import attachment_panel

    ctx = attachment_panel(obj, user=context["request"].user)
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx


@register.filter
def index(sequence, i):
    """``sequence[i]`` (the column of a cell in a list row)."""
    try:
        return sequence[i]
    except (IndexError, KeyError, TypeError):
        return None


def _cell_parts(context, columns) -> list[tuple[str, str]]:
    """Per column, once per page: the opening ``<td`` with its attributes (the label the phone
    cards show, the inline-edit target) and the inline-edit button, or ``""``."""
    key = ("kehu.row_cells", id(columns))
    parts = context.render_context.get(key)
    if parts is None:
        editing = bool(context.get("cell_url"))
        parts = []
        for i, col in enumerate(columns):
            label = capfirst(col.get("label") or "")
            td = f'<td data-label="{escape(label)}"'
            if i == 0:
                td += ' class="cell-title"'
            button = ""
            if editing and col.get("editable"):
                td += f' data-cell="{escape(col["name"])}"'
                button = (
                    ' <button type="button" class="btn btn-link btn-sm p-0 cell-edit" data-cell-edit'
                    f' title="{escape(_("Edit"))}"'
                    f' aria-label="{escape(_("Edit %(field)s") % {"field": col.get("label")})}">'
                    '<i class="bi bi-pencil" aria-hidden="true"></i></button>'
                )
            parts.append((td, button))
        context.render_context[key] = parts
    return parts


@register.simple_tag(takes_context=True)
def row_cells(context, obj, cells, columns):
    """The ``<td>`` cells of one list row (``core/_object_table.html``): the first links to the
    record, editable ones carry the inline-edit button. One Python pass per row: a template
    loop cost several tags per cell, and a page holds up to 200 rows of 10+ columns."""
    parts = _cell_parts(context, columns)
    key = ("kehu.row_cells.url", id(columns))
    detail = context.render_context.get(key)
    if detail is None:
        ot = context["object_type"]
        detail = reverse(ot.url_name("detail"), args=[_PK_SLOT]).split(str(_PK_SLOT), 1)
        context.render_context[key] = detail
    pk = obj.pk
    out = []
    for i, value in enumerate(cells):
        td, button = parts[i] if i < len(parts) else ("<td", "")
        html = render_value_in_context(display(value), context)
        if i == 0:
            html = f'<a href="{escape(detail[0])}{pk}{escape(detail[1])}">{html}</a>'
        if button:
            td += f' data-pk="{pk}"'
        out.append(f"{td}>{html}{button}</td>")
    return mark_safe("".join(out))  # noqa: S308 - labels, names and values escaped above
