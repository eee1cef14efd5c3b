"""Test factories: custom field definitions (see kehu.core.testing.factory)."""

from __future__ import annotations

from kehu.core.testing import factory


@factory("system.customfield")
def custom_field(owner=None, n=1, **kw):
    from kehu.system.actions import save_custom_field
    from kehu.system.models import CustomField

    values = {
        "object_type": "customers.customer",
        "code": f"field_{n}",
        "label_zh": f"字段{n}",
        "label_en": f"Field {n}",
        "kind": CustomField.Kind.TEXT,
    }
    values.update(kw)
    return save_custom_field(field=CustomField(**values))
