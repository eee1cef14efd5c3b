from django import template

from kehu.core.cells import display

register = template.Library()


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
