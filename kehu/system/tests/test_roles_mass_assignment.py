"""Mass assignment: owner, department and permissions cannot be set through forms or the API by
users without the right, and "manage users" does not make anyone a superuser."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.core.permissions import SpecialPermission
from kehu.customers.forms import CustomerForm
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer
from kehu.system.models import Role, User
from kehu.system.tests.test_roles import editor_data


def test_customer_form_has_no_owner_department_or_permission_fields():
    fields = set(CustomerForm.base_fields)
    assert not fields & {"owner", "department", "created_by", "updated_by", "roles", "permissions"}


def test_customer_serializer_makes_owner_and_department_read_only():
    from kehu.customers.api import CustomerSerializer

    fields = CustomerSerializer().get_fields()
    assert fields["owner"].read_only and fields["department"].read_only


@pytest.mark.django_db
def test_salesperson_cannot_set_owner_or_department_via_form_or_api(client, make_user):
    seller = make_user("salesperson", "a1")
    other = make_user("salesperson", "b")
    assert not seller.has_perm(SpecialPermission.REASSIGN_OWNER)
    obj = customer(seller, 1)
    client.force_login(seller)
    response = client.post(
        reverse("customers:customer_edit", args=[obj.pk]),
        {
            **{
                k: v
                for k, v in CustomerForm(instance=obj).initial.items()
                if v is not None and k in CustomerForm.base_fields
            },
            "version": obj.version,
            "owner": other.pk,
            "department": other.department_id,
            "created_by": other.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    obj.refresh_from_db()
    assert obj.owner == seller and obj.department == seller.department

    created = client.post(
        "/api/customers/",
        {
            "number": "MA-1",
            "name": "批量赋值",
            "owner": other.pk,
            "department": other.department_id,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    new = Customer.objects.get(number="MA-1")
    assert new.owner == seller and new.department == seller.department
    patched = client.patch(
        f"/api/customers/{new.pk}/",
        {"owner": other.pk, "department": other.department_id, "version": new.version},
        content_type="application/json",
    )
    assert patched.status_code == 200
    new.refresh_from_db()
    assert new.owner == seller and new.department == seller.department


@pytest.mark.django_db
def test_manage_users_cannot_grant_superuser_through_role_endpoints(client, make_user, roles):
    admin = make_user("administrator", "hq")
    assert admin.has_perm(SpecialPermission.MANAGE_USERS) and not admin.is_superuser
    client.force_login(admin)
    role = roles["administrator"]
    bad = {"is_superuser": True, "is_staff": True, "user": admin.pk, "users": [admin.pk]}
    client.post("/api/roles/", {"name": "越权", **bad}, content_type="application/json")
    client.patch(f"/api/roles/{role.pk}/", bad, content_type="application/json")
    client.put(
        f"/api/roles/{role.pk}/",
        {"name": role.name, "default_view_scope": "all", "default_edit_scope": "all", **bad},
        content_type="application/json",
    )
    client.post(
        reverse("system:role_permissions", args=[role.pk]),
        {**editor_data(role), "is_superuser": "on", "is_staff": "on"},
    )
    client.post(reverse("system:role_edit", args=[role.pk]), {"name": role.name, **bad})
    client.post(reverse("system:role_add"), {"name": "越权2", "is_superuser": "on"})
    client.get(reverse("system:effective_permissions"), {"user": admin.pk, "is_superuser": "1"})
    client.post(
        "/api/shares/",
        {"object_type": "system.user", "object_id": admin.pk, "user": admin.pk, **bad},
        content_type="application/json",
    )
    assert not User.objects.filter(is_superuser=True).exists()
    assert not User.objects.filter(is_staff=True).exists()
    assert "is_superuser" not in client.get(f"/api/roles/{role.pk}/").json()
    assert Role.objects.filter(name="越权").exists()  # the role itself is fine, the flag ignored
