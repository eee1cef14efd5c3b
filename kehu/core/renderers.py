"""The form renderer: Django's templates for every widget, except ``<select>`` in Python.

Django renders each ``<option>`` by including two templates. A list page's filter form offers
every owner and department in the viewer's scope (hundreds at a branch) and the bulk reassign
select the same people again, so those includes were most of a list page's time (profiled at
1,000,000 customers: about 60 % of the request went to ``<option>`` templates). Here the same
markup -- byte for byte what ``select.html`` / ``select_option.html`` / ``attrs.html`` give, every
value escaped by ``format_html`` -- is built in Python. A widget with its own templates keeps
them.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """``attrs.html``: ``True`` as a bare name, ``False`` left out, anything else quoted."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


_SELECTED = {"selected": True}


def _option(option: dict) -> str:
    """One ``select_option.html``: value and label escaped as the template would (a label that
    is already safe HTML stays as it is). The common attributes take a shortcut."""
    attrs = option["attrs"]
    extra = "" if not attrs else " selected" if attrs == _SELECTED else _attrs(attrs)
    value = conditional_escape(str(option["value"]))
    return f'\n  <option value="{value}"{extra}>{conditional_escape(option["label"])}</option>\n'


def render_select(widget: dict) -> str | None:
    """``select.html`` for ``widget`` (a widget's context), or None for custom option templates."""
    parts = []
    for group_name, options, _index in widget["optgroups"]:
        if any(o["template_name"] != OPTION for o in options):
            return None
        rendered = "".join(_option(o) for o in options)
        if group_name:
            label = conditional_escape(group_name)
            rendered = f'\n  <optgroup label="{label}">{rendered}\n  </optgroup>'
        parts.append(rendered)
    # Every piece above went through ``conditional_escape``: the joined options are safe.
    return format_html(
        '<select name="{}"{}>{}\n</select>',
        widget["name"],
        _attrs(widget["attrs"]),
        SafeString("".join(parts)),
    )


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            html = render_select(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request=request)
