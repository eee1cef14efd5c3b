"""The Python ``<select>`` gives exactly what Django's widget templates give."""

from __future__ import annotations

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer

from kehu.core.renderers import FormRenderer


class Special(forms.Select):
    option_template_name = "django/forms/widgets/input_option.html"


CASES = [
    (
        forms.Select(choices=[("", "---"), ("a", "A & <b>"), (1, 'q"uote')]),
        "a",
        {"id": "x", "class": "form-select", "hx-get": "/x/?a=1&b=<2>"},
    ),
    (forms.Select(choices=[("G1", [("1", "一"), ("2", "二")]), ("3", "三")]), "2", {}),
    (
        forms.SelectMultiple(choices=[("1", "1"), ("2", "2"), ("3", "三")]),
        ["1", "3"],
        {"required": True},
    ),
    (forms.NullBooleanSelect(), None, {}),
    (forms.Select(choices=[]), None, {"disabled": False, "data-x": "y'z"}),
    (forms.Select(choices=[("<script>", "<script>alert(1)</script>")]), "<script>", {}),
]


@pytest.mark.parametrize(("widget", "value", "attrs"), CASES)
def test_select_markup_is_djangos(widget, value, attrs):
    expected = widget.render("f", value, attrs, renderer=DjangoTemplates())
    assert widget.render("f", value, attrs, renderer=FormRenderer()) == expected
    assert "<script>" not in expected


def test_custom_option_templates_keep_their_templates():
    widget = Special(choices=[("1", "one")])
    expected = widget.render("f", "1", {}, renderer=DjangoTemplates())
    assert widget.render("f", "1", {}, renderer=FormRenderer()) == expected
    assert 'type="select"' in expected or "<input" in expected


def test_the_project_uses_it():
    assert settings.FORM_RENDERER == "kehu.core.renderers.FormRenderer"
    assert isinstance(get_default_renderer(), FormRenderer)
