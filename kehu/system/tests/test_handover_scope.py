"""The handover page says nothing about an employee outside the manager's scope (404), and
its per-level counts cover only customers the manager may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.customers.tests.factories import customer


@pytest.mark.django_db
def test_an_employee_outside_the_scope_answers_404_without_counts(client, make_user):
    manager = make_user("sales_manager", "a1")
    stranger = make_user("salesperson", "b")
    for n in range(3):
        customer(stranger, n, level="A")
    client.force_login(manager)
    url = reverse("system:handover")
    assert client.get(url, {"employee": stranger.pk}).status_code == 404
    assert client.get(url, {"employee": stranger.pk, "split": "by_level"}).status_code == 404
    assert client.get(url, {"employee": 999999}).status_code == 404


@pytest.mark.django_db
def test_level_counts_cover_only_customers_in_scope(client, make_user, org):
    manager = make_user("sales_manager", "a1")
    member = make_user("salesperson", "a1")
    customer(member, 1, level="A")
    filed_elsewhere = customer(member, 2, level="A")
    filed_elsewhere.department = org["b"]  # filed under branch B: not the manager's to see
    filed_elsewhere.save()
    client.force_login(manager)
    page = client.get(reverse("system:handover"), {"employee": member.pk})
    assert page.status_code == 200
    assert [(code, n) for code, _label, n in page.context["form"].levels] == [("A", 1)]
