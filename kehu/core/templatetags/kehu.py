from django import template

from kehu.core.cells import display

register = template.Library()


@register.filter
def cell(value):
    """Display a value in a table cell: dates localised, money grouped, empty as a dash
    (``kehu.core.cells.display``, the one rendering of list, detail and export values)."""
    return display(value)


@register.filter
def index(sequence, i):
    """``sequence[i]`` (the column of a cell in a list row)."""
    try:
        return sequence[i]
    except (IndexError, KeyError, TypeError):
        return None
