"""Field labels that read right in Chinese: a person's 姓名 and 职务, the 数字 field type, two
distinct product labels (issue 16, "Labels and translation")."""

from __future__ import annotations

from django.utils import translation

from kehu.system.models import CustomField, Product, User


def zh(model, name: str) -> str:
    with translation.override("zh-hans"):
        return str(model._meta.get_field(name).verbose_name)


def test_an_employee_has_a_name_and_a_job_title():
    assert zh(User, "display_name") == "姓名"
    assert zh(User, "title") == "职务"


def test_the_number_field_type_is_a_number_not_a_serial():
    with translation.override("zh-hans"):
        assert str(CustomField.Kind.NUMBER.label) == "数字"
        assert dict(CustomField.Kind.choices)["number"] == "数字"


def test_product_category_and_type_are_told_apart():
    assert zh(Product, "category") != zh(Product, "kind")
    assert zh(Product, "kind") == "产品类型"
