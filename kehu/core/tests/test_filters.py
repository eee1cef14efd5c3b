"""The base FilterSet's labels follow the language of each request."""

from __future__ import annotations

import pytest
from django.utils import translation

from kehu.customers.filters import CustomerFilterSet


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, status, industry", [("zh-hans", "状态", "行业"), ("en", "Status", "Industry")]
)
def test_labels_from_the_model_survive_the_api_schema(admin_user, language, status, industry):
    # The API schema (drf-spectacular) reads the class's filters and their form fields before
    # any request has given them a model: such a field has no label of its own …
    with translation.override("en"):
        assert CustomerFilterSet.base_filters["status"].field is not None
    # … yet the list page's filter form shows the model's label in the page's language.
    with translation.override(language):
        form = CustomerFilterSet(user=admin_user).form
        assert str(form["status"].label) == status
        assert str(form["industry"].label) == industry
        assert form["q"].label == ("搜索" if language == "zh-hans" else "Search")
