"""The data-permission matrix: for every registered object type, every access path and every
role scope, a user outside the scope gets 404/403 and no data.

It grows by itself: a new object type in the registry is in the matrix (and needs a factory).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.core.permissions import DataScope
from kehu.core.registry import registry
from kehu.core.testing import list_url, load_factories
from kehu.system.actions import set_role_scope
from kehu.system.models import Role

FACTORIES = load_factories()
ALL_TYPES = sorted(registry)
#: Object types whose records belong to people: the data-scope matrix applies to them.
OBJECT_TYPES = sorted(label for label, ot in registry.items() if ot.model.owner_path)


def test_every_object_type_has_a_factory():
    missing = [label for label in ALL_TYPES if label not in FACTORIES]
    assert not missing, f"add a factory in <app>/tests/factories.py for: {missing}"


@pytest.fixture
def people(make_user, roles):
    """The owner is a salesperson in team A1 of branch A; everyone else relative to them."""
    viewer = Role.objects.create(name="viewer", default_view_scope="all", default_edit_scope="own")
    viewer.permissions.set(roles["sales_manager"].permissions.all())
    return {
        "owner": make_user("salesperson", "a1"),
        "teammate": make_user("salesperson", "a1"),
        "manager_a1": make_user("sales_manager", "a1"),
        "manager_a2": make_user("sales_manager", "a2"),
        "branch_a": make_user("branch_manager", "a"),
        "branch_b": make_user("branch_manager", "b"),
        "viewer": _with_role(make_user, viewer),
    }


def _with_role(make_user, role):
    user = make_user(None, "b")
    user.roles.add(role)
    return user


CAN_VIEW = {"owner", "manager_a1", "branch_a", "viewer"}
CANNOT_VIEW = ["teammate", "manager_a2", "branch_b"]
CAN_EDIT = {"owner", "manager_a1", "branch_a"}


def urls(ot, pk):
    return {
        "detail": reverse(ot.url_name("detail"), args=[pk]),
        "edit": reverse(ot.url_name("edit"), args=[pk]),
        "delete": reverse(ot.url_name("delete"), args=[pk]),
        "api": f"{ot.api_path}{pk}/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
@pytest.mark.parametrize("who", CANNOT_VIEW)
def test_outside_view_scope_gets_404_and_no_data(client, people, label, who):
    ot = registry[label]
    obj = FACTORIES[label](people["owner"])
    client.force_login(people[who])
    u = urls(ot, obj.pk)
    assert client.get(u["detail"]).status_code == 404
    assert client.get(u["edit"]).status_code == 404
    # Without the functional permission the answer is 403 for any id, which reveals nothing.
    gone = 404 if people[who].has_perm(ot.perm("delete")) else 403
    assert client.post(u["delete"]).status_code == gone
    assert client.get(u["api"]).status_code == 404
    assert client.patch(u["api"], {"name": "x"}, content_type="application/json").status_code == 404
    assert client.delete(u["api"]).status_code == gone
    listing = client.get(list_url(ot))
    assert listing.status_code == 200
    assert str(obj) not in listing.content.decode()
    assert u["detail"] not in listing.content.decode()
    api_list = client.get(ot.api_path).json()
    assert obj.pk not in [row["id"] for row in api_list["results"]]
    search = client.get(reverse("core:search"), {"q": str(obj)})
    assert search.status_code == 200
    assert u["detail"] not in search.content.decode()
    export = client.get(reverse(ot.url_name("list")), {"export": "csv"})
    if export.status_code == 200:
        assert str(obj) not in b"".join(export.streaming_content).decode()
    else:
        assert export.status_code == 403
    assert ot.model.objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
@pytest.mark.parametrize("who", sorted(CAN_VIEW))
def test_inside_view_scope_sees_and_edits_only_inside_edit_scope(client, people, label, who):
    ot = registry[label]
    obj = FACTORIES[label](people["owner"])
    client.force_login(people[who])
    u = urls(ot, obj.pk)
    assert client.get(u["detail"]).status_code == 200
    assert client.get(u["api"]).status_code == 200
    assert u["detail"] in client.get(list_url(ot)).content.decode()
    if ot.search_fields:  # types without search fields stay out of the global search
        found = client.get(reverse("core:search"), {"q": str(obj)}).content.decode()
        assert u["detail"] in found
    expected = 200 if who in CAN_EDIT else 403
    assert client.get(u["edit"]).status_code == expected
    patch = client.patch(u["api"], {"version": obj.version}, content_type="application/json")
    assert patch.status_code == expected


@pytest.mark.django_db
def test_edit_scope_is_never_wider_than_view_scope(make_user, roles):
    from kehu.system.access import get_access

    role = roles["salesperson"]
    set_role_scope(
        role=role, object_type="customers.customer", view=DataScope.OWN, edit=DataScope.ALL
    )
    user = make_user("salesperson")
    from kehu.core.permissions import Access
    from kehu.customers.models import Customer

    assert get_access(user).scope(Customer, Access.EDIT) == DataScope.OWN


@pytest.mark.django_db
def test_permissions_cost_constant_queries_per_request(
    client, people, django_assert_max_num_queries
):
    from kehu.customers.tests.factories import customer

    for n in range(30):
        customer(people["owner"], n)
    client.force_login(people["branch_a"])
    # Cold caches included (access, custom-field definitions, dictionaries, unread count, the
    # approvals badge) plus the saved views, the user's list settings, the colleagues a
    # manager may transfer customers to and the need segments a filter offers (contributed by
    # analytics); none of it grows with rows.
    with django_assert_max_num_queries(21):
        assert client.get(reverse("customers:customer_list")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("label", ALL_TYPES)
def test_without_functional_permission_every_path_is_403(client, make_user, label):
    """A user with no role may not list, open, export or call the API of any object type."""
    ot = registry[label]
    owner = make_user("administrator", "a1")
    obj = FACTORIES[label](owner)
    client.force_login(make_user(None, "a1"))
    u = urls(ot, obj.pk)
    assert client.get(reverse(ot.url_name("list"))).status_code == 403
    assert client.get(reverse(ot.url_name("list")), {"export": "csv"}).status_code == 403
    assert client.get(u["detail"]).status_code == 403
    assert client.get(u["edit"]).status_code == 403
    assert client.post(u["delete"]).status_code == 403
    assert client.get(ot.api_path).status_code == 403
    assert client.get(u["api"]).status_code == 403
    assert client.delete(u["api"]).status_code == 403
    assert ot.model.objects.filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_access_is_cached_across_requests_and_invalidated_by_changes(
    make_user, roles, django_assert_num_queries
):
    from kehu.core.permissions import Access
    from kehu.customers.models import Customer
    from kehu.system.access import get_access
    from kehu.system.models import User

    user = make_user("salesperson", "a1")
    get_access(User.objects.get(pk=user.pk))  # computed once
    fresh = User.objects.get(pk=user.pk)
    with django_assert_num_queries(0):
        assert get_access(fresh).scope(Customer, Access.VIEW) == DataScope.OWN
        assert fresh.has_perm("customers.view_customer")
    set_role_scope(
        role=roles["salesperson"],
        object_type="customers.customer",
        view=DataScope.SUBTREE,
        edit=DataScope.OWN,
    )
    changed = User.objects.get(pk=user.pk)
    assert get_access(changed).scope(Customer, Access.VIEW) == DataScope.SUBTREE
    user.roles.clear()
    assert not User.objects.get(pk=user.pk).has_perm("customers.view_customer")
