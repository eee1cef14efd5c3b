"""The delete page counts only the dependents the user may see; that there are others is said
without counting or naming them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.customers.tests.factories import customer


@pytest.mark.django_db
def test_dependents_outside_the_scope_are_not_counted(client, make_user):
    owner = make_user("sales_manager", "a1")  # may delete the team's customers
    stranger = make_user("salesperson", "b")
    parent = customer(owner, 1)
    customer(owner, 2, parent=parent)
    for n in range(3):
        customer(stranger, 10 + n, parent=parent, name=f"别家子公司{n}")
    client.force_login(owner)
    page = client.get(reverse("customers:customer_delete", args=[parent.pk]))
    assert page.status_code == 200
    rows = {d.label: d.count for d in page.context["dependents"]}
    assert rows["customers.customer"] == 1
    html = page.content.decode()
    assert "别家子公司" not in html and 'id="hidden-dependents"' in html


@pytest.mark.django_db
def test_no_note_when_everything_is_visible(client, make_user):
    owner = make_user("sales_manager", "a1")
    parent = customer(owner, 1)
    customer(owner, 2, parent=parent)
    client.force_login(owner)
    page = client.get(reverse("customers:customer_delete", args=[parent.pk]))
    assert {d.label: d.count for d in page.context["dependents"]}["customers.customer"] == 1
    assert 'id="hidden-dependents"' not in page.content.decode()
