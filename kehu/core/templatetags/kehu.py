from django import template

from kehu.core.cells import display

register = template.Library()


@register.filter
def cell(value):
    """Display a value in a table cell: dates localised, money grouped, empty as a dash
    (``kehu.core.cells.display``, the one rendering of list, detail and export values)."""
    return display(value)
