"""Roles: the role editor round trip, department-held roles, unions, audit, the 403 wall."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from kehu.core.models import AuditLog
from kehu.core.permissions import Access, DataScope, SpecialPermission
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer
from kehu.system.access import get_access
from kehu.system.actions import ensure_default_roles, owned_object_types, update_role_permissions
from kehu.system.forms.roles import RolePermissionsForm, matrix_rows
from kehu.system.models import Role, RoleDataScope, User

CUSTOMER = "customers.customer"


def fresh(user) -> User:
    """A new copy: access is cached per user object, like once per request."""
    return User.objects.get(pk=user.pk)


def editor_data(role: Role, **changes) -> dict:
    """The role editor's POST body exactly as the page renders it, with ``changes`` applied."""
    form = RolePermissionsForm(role=role, object_types=owned_object_types(), rows=matrix_rows())
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value in (None, ""):
            continue
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def manager_of_users(make_user):
    """An administrator (not a superuser): has manage_users through the default role."""
    return make_user("administrator", "hq")


@pytest.mark.django_db
def test_role_editor_round_trip_subtree_scope_shows_colleagues_customers(
    client, make_user, roles, manager_of_users
):
    seller = make_user("salesperson", "a")  # works at branch A itself
    colleague = make_user("salesperson", "a2")  # in team A2 of the same branch
    outsider = make_user("salesperson", "b")
    theirs = customer(colleague, 1)
    far = customer(outsider, 2)
    assert not Customer.objects.visible_to(fresh(seller)).filter(pk=theirs.pk).exists()

    client.force_login(manager_of_users)
    url = reverse("system:role_permissions", args=[roles["salesperson"].pk])
    assert client.get(url).status_code == 200
    data = editor_data(
        roles["salesperson"], **{f"view__{CUSTOMER}": "subtree", f"edit__{CUSTOMER}": "own"}
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]

    scope = RoleDataScope.objects.get(role=roles["salesperson"], object_type=CUSTOMER)
    assert (scope.view_scope, scope.edit_scope) == ("subtree", "own")
    seller = fresh(seller)
    assert get_access(seller).scope(Customer, Access.VIEW) == DataScope.SUBTREE
    assert get_access(seller).scope(Customer, Access.EDIT) == DataScope.OWN
    visible = Customer.objects.visible_to(seller)
    assert visible.filter(pk=theirs.pk).exists()
    assert not visible.filter(pk=far.pk).exists()
    assert not Customer.objects.editable_by(seller).filter(pk=theirs.pk).exists()
    client.force_login(seller)
    assert client.get(reverse("customers:customer_detail", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("customers:customer_edit", args=[theirs.pk])).status_code == 403
    assert client.get(reverse("customers:customer_detail", args=[far.pk])).status_code == 404
    # Nothing else changed: the page re-saves what it showed.
    assert set(roles["salesperson"].permissions.all()) == set(
        ensure_default_roles()["salesperson"].permissions.all()
    )


@pytest.mark.django_db
def test_editor_saves_permissions_specials_holders_and_get_access_agrees(
    client, make_user, roles, org, manager_of_users
):
    role = Role.objects.create(name="质检", default_view_scope="own", default_edit_scope="own")
    person = make_user(None, "b")
    client.force_login(manager_of_users)
    data = editor_data(
        role,
        perm=["customers.view_customer", "customers.change_customer"],
        special=[SpecialPermission.EXPORT.value, SpecialPermission.SEE_COST.value],
        default_view="department",
        default_edit="own",
        users=[person.pk],
        departments=[org["a"].pk],
    )
    response = client.post(reverse("system:role_permissions", args=[role.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    person = fresh(person)
    assert person.has_perm("customers.view_customer")
    assert person.has_perm("customers.change_customer")
    assert not person.has_perm("customers.add_customer")
    assert person.has_perm(SpecialPermission.EXPORT)
    assert person.has_perm(SpecialPermission.SEE_COST)
    assert not person.has_perm(SpecialPermission.MANAGE_USERS)
    assert get_access(person).scope(Customer, Access.VIEW) == DataScope.DEPARTMENT
    role.refresh_from_db()
    assert list(role.departments.all()) == [org["a"]]
    assert role.version == 2
    # The page shows it back checked.
    page = client.get(reverse("system:role_permissions", args=[role.pk])).content.decode()
    assert 'value="customers.change_customer" aria-label' in page
    assert 'name="perm" value="customers.change_customer"' in page
    assert page.count(" checked") >= 4


@pytest.mark.django_db
def test_matrix_groups_by_module_in_order_with_plural_labels(db):
    rows = matrix_rows()
    modules = [r["module"] for r in rows]
    # every registered module, in navigation order (tests/plugin_app's too), set-up last
    order = ["customers", "marketing", "sales", "service", "analytics", "plugin_app", "system"]
    seen = [m for i, m in enumerate(modules) if m not in modules[:i]]
    assert seen == [m for m in order if m in seen]
    assert seen[0] == "customers" and seen[-1] == "system"
    labels = [r["label"] for r in rows if r["module"] == "customers"]
    assert labels == sorted(labels)
    customers = next(r for r in rows if r["label"] == str(Customer._meta.verbose_name_plural))
    assert customers["module"] == "customers"
    assert customers["cells"] == [
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.delete_customer",
    ]


@pytest.mark.django_db
def test_edit_wider_than_view_is_refused_with_a_field_message(client, roles, manager_of_users):
    role = roles["salesperson"]
    client.force_login(manager_of_users)
    url = reverse("system:role_permissions", args=[role.pk])
    data = editor_data(role, **{f"view__{CUSTOMER}": "own", f"edit__{CUSTOMER}": "all"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "The edit scope cannot be wider than the view scope." in response.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(url, data)
    assert "编辑范围不能大于查看范围" in response.content.decode()
    data = editor_data(role, default_view="own", default_edit="all")
    assert "编辑范围不能大于查看范围" in client.post(url, data).content.decode()
    assert not RoleDataScope.objects.filter(role=role).exists()
    role.refresh_from_db()
    assert role.version == 1 and role.default_edit_scope == "own"


@pytest.mark.django_db
def test_stale_editor_save_is_refused(client, roles, manager_of_users):
    role = roles["sales_manager"]
    client.force_login(manager_of_users)
    url = reverse("system:role_permissions", args=[role.pk])
    opened = editor_data(role, special=[])  # drops the specials, opened at version 1
    update_role_permissions(
        role=role,
        permissions={"customers.view_customer"},
        scopes={},
        default_view="own",
        default_edit="own",
        department_ids=[],
        user_ids=[],
        actor=manager_of_users,
    )
    response = client.post(url, opened)
    assert response.status_code == 200
    text = response.content.decode()
    assert "changed by someone else" in text or "其他人" in text
    role.refresh_from_db()
    assert role.version == 2
    assert [p.codename for p in role.permissions.all()] == ["view_customer"]


@pytest.mark.django_db
def test_one_permission_audit_entry_lists_the_diff(make_user, roles, org, manager_of_users):
    role = roles["salesperson"]
    person = make_user(None, "b")
    before = AuditLog.objects.count()
    current = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in role.permissions.select_related("content_type")
    }
    diff = update_role_permissions(
        role=role,
        permissions=(current - {"customers.add_customer"}) | {"system.export_data"},
        scopes={CUSTOMER: ("department", "own")},
        default_view="own",
        default_edit="none",
        department_ids=[org["b"].pk],
        user_ids=[*role.users.values_list("pk", flat=True), person.pk],
        actor=manager_of_users,
    )
    entries = AuditLog.objects.order_by("pk")[before:]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == AuditLog.Action.PERMISSION
    assert entry.user == manager_of_users
    assert entry.object_id == str(role.pk)
    assert entry.changes == diff
    assert diff["permissions"] == {
        "added": ["system.export_data"],
        "removed": ["customers.add_customer"],
    }
    assert diff["scopes"] == {CUSTOMER: [None, ["department", "own"]]}
    assert diff["default_scope"] == [["own", "own"], ["own", "none"]]
    assert diff["departments"] == {"added": [str(org["b"])], "removed": []}
    assert diff["users"] == {"added": [person.username], "removed": []}


@pytest.mark.django_db
def test_role_attached_to_branch_applies_to_members_of_its_teams(make_user, org, manager_of_users):
    role = Role.objects.create(name="华东查看", default_view_scope="all", default_edit_scope="none")
    update_role_permissions(
        role=role,
        permissions={"customers.view_customer", "system.export_data"},
        scopes={},
        default_view="all",
        default_edit="none",
        department_ids=[org["a"].pk],
        user_ids=[],
        actor=manager_of_users,
    )
    in_team = make_user(None, "a1")
    in_other_branch = make_user(None, "b")
    other = customer(make_user("salesperson", "b"), 1)
    in_team = fresh(in_team)
    assert role.pk in get_access(in_team).role_ids
    assert in_team.has_perm("customers.view_customer")
    assert in_team.has_perm(SpecialPermission.EXPORT)
    assert Customer.objects.visible_to(in_team).filter(pk=other.pk).exists()
    assert not Customer.objects.editable_by(in_team).filter(pk=other.pk).exists()
    in_other_branch = fresh(in_other_branch)
    assert role.pk not in get_access(in_other_branch).role_ids
    assert not in_other_branch.has_perm("customers.view_customer")


@pytest.mark.django_db
def test_several_roles_give_the_union(make_user, roles, manager_of_users):
    extra = Role.objects.create(name="导出员", default_view_scope="none", default_edit_scope="none")
    update_role_permissions(
        role=extra,
        permissions={"system.export_data", "customers.delete_customer"},
        scopes={CUSTOMER: ("department", "none")},
        default_view="none",
        default_edit="none",
        department_ids=[],
        user_ids=[],
        actor=manager_of_users,
    )
    update_role_permissions(
        role=roles["salesperson"],
        permissions={"customers.view_customer", "customers.add_customer"},
        scopes={CUSTOMER: ("own", "own")},
        default_view="own",
        default_edit="own",
        department_ids=[],
        user_ids=[],
        actor=manager_of_users,
    )
    person = make_user("salesperson", "a1")
    person.roles.add(extra)
    teammate = make_user("salesperson", "a1")
    theirs = customer(teammate, 1)
    mine = customer(person, 2)
    person = fresh(person)
    assert person.has_perm("customers.add_customer")  # from salesperson
    assert person.has_perm("customers.delete_customer")  # from the extra role
    assert person.has_perm(SpecialPermission.EXPORT)
    assert not person.has_perm("customers.change_customer")  # from neither
    access = get_access(person)
    assert access.scope(Customer, Access.VIEW) == DataScope.DEPARTMENT  # the wider of the two
    assert access.scope(Customer, Access.EDIT) == DataScope.OWN
    assert Customer.objects.visible_to(person).filter(pk=theirs.pk).exists()
    assert not Customer.objects.editable_by(person).filter(pk=theirs.pk).exists()
    assert Customer.objects.editable_by(person).filter(pk=mine.pk).exists()


@pytest.mark.django_db
def test_union_counts_the_defaults_of_roles_without_an_override(make_user, manager_of_users):
    extra = Role.objects.create(name="只看本部门", default_view_scope="none")
    update_role_permissions(
        role=extra,
        permissions=set(),
        scopes={CUSTOMER: ("department", "none")},
        default_view="none",
        default_edit="none",
        department_ids=[],
        user_ids=[],
        actor=manager_of_users,
    )
    person = make_user("salesperson", "a1")  # salesperson: default own/own, no override
    person.roles.add(extra)
    assert get_access(fresh(person)).scope(Customer, Access.EDIT) == DataScope.OWN


@pytest.mark.django_db
def test_ensure_default_roles_grants_reference_data_and_is_idempotent(roles):
    for code, role in roles.items():
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in role.permissions.select_related("content_type")
        }
        for model in (
            "product",
            "productcategory",
            "pricelistitem",
            "dictionaryitem",
            "department",
            "holiday",
        ):
            assert f"system.view_{model}" in granted, (code, model)
    assert roles["salesperson"].permissions.filter(codename="see_cost").count() == 0
    assert roles["administrator"].permissions.filter(codename="manage_users").exists()
    assert not roles["sales_manager"].permissions.filter(codename="manage_users").exists()
    counts = {code: role.permissions.count() for code, role in roles.items()}
    again = ensure_default_roles()
    assert {code: role.permissions.count() for code, role in again.items()} == counts
    assert Role.objects.count() == len(counts)
    assert Permission.objects.filter(codename="manage_users").count() == 1


@pytest.mark.django_db
def test_role_held_by_users_cannot_be_deleted(client, make_user, roles, manager_of_users):
    client.force_login(manager_of_users)
    held = roles["service_agent"]
    make_user("service_agent", "b")
    response = client.post(reverse("system:role_delete", args=[held.pk]))
    assert response.status_code == 302
    assert Role.objects.filter(pk=held.pk).exists()
    assert client.delete(f"/api/roles/{held.pk}/").status_code == 400
    assert Role.objects.filter(pk=held.pk).exists()
    response = client.post(reverse("system:role_bulk_delete"), {"pk": [held.pk]})
    assert Role.objects.filter(pk=held.pk).exists()
    unused = Role.objects.create(name="空角色")
    assert client.post(reverse("system:role_delete", args=[unused.pk])).status_code == 302
    assert not Role.objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db
def test_role_list_shows_the_number_of_users(client, make_user, roles, manager_of_users):
    for _n in range(3):
        make_user("service_agent", "b")
    client.force_login(manager_of_users)
    response = client.get(reverse("system:role_list"), {"q": "service_agent"})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(obj.name, cells[-1]) for obj, cells in rows] == [("service_agent", 3)]
    api = client.get("/api/roles/", {"q": "service_agent"}).json()
    assert [r["user_count"] for r in api["results"]] == [3]
    detail = client.get(reverse("system:role_detail", args=[roles["service_agent"].pk]))
    assert detail.status_code == 200
    assert "data-user-count>3<" in detail.content.decode()


ROLE_PAGES = ["list", "add", "detail", "edit", "delete", "permissions", "effective", "api"]


@pytest.fixture
def role_editor_without_manage_users(make_user, roles):
    """Has every role-model permission (view/add/change/delete role) but not manage_users."""
    role = Role.objects.create(name="半个管理员")
    role.permissions.set(
        Permission.objects.filter(
            content_type__app_label="system",
            content_type__model="role",
            codename__in=["view_role", "add_role", "change_role", "delete_role"],
        )
    )
    user = make_user("sales_manager", "a1")
    user.roles.add(role)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["sales_manager", "role_model_perms_only", "nobody"])
def test_every_page_and_endpoint_needs_manage_users(
    client, make_user, roles, role_editor_without_manage_users, who
):
    user = {
        "sales_manager": lambda: make_user("sales_manager", "a1"),
        "role_model_perms_only": lambda: role_editor_without_manage_users,
        "nobody": lambda: make_user(None, "a1"),
    }[who]()
    role = roles["salesperson"]
    target = make_user("salesperson", "a1")
    client.force_login(user)
    pk = role.pk
    assert client.get(reverse("system:role_list")).status_code == 403
    assert client.get(reverse("system:role_list"), {"export": "csv"}).status_code == 403
    assert client.get(reverse("system:role_add")).status_code == 403
    assert client.post(reverse("system:role_add"), {"name": "x"}).status_code == 403
    assert client.get(reverse("system:role_detail", args=[pk])).status_code == 403
    assert client.get(reverse("system:role_edit", args=[pk])).status_code == 403
    assert client.post(reverse("system:role_delete", args=[pk])).status_code == 403
    assert client.post(reverse("system:role_bulk_delete"), {"pk": [pk]}).status_code == 403
    url = reverse("system:role_permissions", args=[pk])
    assert client.get(url).status_code == 403
    assert client.post(url, editor_data(role, special=["system.manage_users"])).status_code == 403
    effective = reverse("system:effective_permissions")
    assert client.get(effective).status_code == 403
    assert client.get(effective, {"user": target.pk}).status_code == 403
    assert client.get("/api/roles/").status_code == 403
    assert client.get(f"/api/roles/{pk}/").status_code == 403
    assert client.post("/api/roles/", {"name": "x"}).status_code == 403
    assert (
        client.patch(
            f"/api/roles/{pk}/", {"description": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert client.delete(f"/api/roles/{pk}/").status_code == 403
    assert client.get(f"/api/roles/{pk}/permissions/").status_code == 403
    body = {
        "permissions": ["system.manage_users"],
        "scopes": {},
        "default_view_scope": "all",
        "default_edit_scope": "all",
        "version": role.version,
    }
    put = client.put(f"/api/roles/{pk}/permissions/", body, content_type="application/json")
    assert put.status_code == 403
    assert Role.objects.filter(pk=pk).exists()
    assert not fresh(user).has_perm(SpecialPermission.MANAGE_USERS)
    assert not Role.objects.filter(name="x").exists()


@pytest.mark.django_db
def test_pages_need_login(client, roles):
    pk = roles["salesperson"].pk
    for url in (
        reverse("system:role_list"),
        reverse("system:role_permissions", args=[pk]),
        reverse("system:effective_permissions"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert client.get("/api/roles/").status_code in (401, 403)


@pytest.mark.django_db
def test_effective_permissions_page_explains_roles_and_counts(
    client, make_user, roles, org, manager_of_users
):
    branch_role = Role.objects.create(name="华东导出")
    update_role_permissions(
        role=branch_role,
        permissions={"system.export_data"},
        scopes={},
        default_view="none",
        default_edit="none",
        department_ids=[org["a"].pk],
        user_ids=[],
        actor=manager_of_users,
    )
    seller = make_user("salesperson", "a1")
    teammate = make_user("salesperson", "a1")
    for n in range(3):
        customer(seller, n)
    for n in range(4):
        customer(teammate, 10 + n)
    client.force_login(manager_of_users)
    url = reverse("system:effective_permissions")
    assert client.get(url).status_code == 200
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url, {"user": seller.pk})
    assert response.status_code == 200
    ctx = response.context
    roles_shown = {item["role"].name: item for item in ctx["roles"]}
    assert roles_shown["salesperson"]["direct"]
    assert not roles_shown["华东导出"]["direct"]
    assert [d.code for d in roles_shown["华东导出"]["via"]] == ["A"]
    row = next(r for r in ctx["data"] if r["label"] == str(Customer._meta.verbose_name_plural))
    assert (row["visible"], row["editable"]) == (3, 3)
    assert row["view"] == "Own records"
    specials = {str(s["label"]): s["granted"] for s in ctx["specials"]}
    assert specials["Export data"] is True
    assert specials["Manage users"] is False
    customers_row = next(r for m in ctx["modules"] for r in m["rows"] if m["module"] == "customers")
    assert customers_row["allowed"] == [True, True, True, False]
    html = response.content.decode()
    assert 'data-via="A"' in html and 'data-visible="3"' in html

    # A manager in the same team: department scope counts both people's customers.
    manager = make_user("sales_manager", "a1")
    ctx = client.get(url, {"user": manager.pk}).context
    row = next(r for r in ctx["data"] if r["label"] == str(Customer._meta.verbose_name_plural))
    assert (row["visible"], row["editable"]) == (7, 7)
    assert client.get(url, {"user": 999999}).status_code == 200  # invalid choice: a form error


@pytest.mark.django_db
def test_effective_permissions_page_is_registered_for_the_system_index(
    client, manager_of_users, make_user
):
    client.force_login(manager_of_users)
    index = client.get(reverse("system:index")).content.decode()
    assert reverse("system:effective_permissions") in index
    assert reverse("system:role_list") in index
    client.force_login(make_user("sales_manager", "a1"))
    index = client.get(reverse("system:index")).content.decode()
    assert reverse("system:effective_permissions") not in index


@pytest.mark.django_db
def test_role_permissions_api_round_trip_audit_and_stale_version(client, roles, manager_of_users):
    client.force_login(manager_of_users)
    role = roles["salesperson"]
    url = f"/api/roles/{role.pk}/permissions/"
    doc = client.get(url).json()
    assert "customers.view_customer" in doc["permissions"]
    assert doc["version"] == role.version
    dropped = next(p for p in doc["permissions"] if p != "customers.view_customer")
    doc["permissions"] = [p for p in doc["permissions"] if p != dropped]
    doc["permissions"].append("system.manage_users")
    doc["scopes"] = {CUSTOMER: {"view": "department", "edit": "own"}}
    response = client.put(url, doc, content_type="application/json")
    assert response.status_code == 200, response.content
    after = response.json()
    assert "system.manage_users" in after["permissions"]
    assert dropped not in after["permissions"]
    assert after["scopes"] == {CUSTOMER: {"view": "department", "edit": "own"}}
    entry = AuditLog.objects.filter(action=AuditLog.Action.PERMISSION).latest("pk")
    assert entry.changes["permissions"] == {
        "added": ["system.manage_users"],
        "removed": [dropped],
    }
    # The version the client read is now stale: a second write with it is refused.
    assert client.put(url, doc, content_type="application/json").status_code == 409
    # Edit wider than view, unknown permission: 400 naming the problem, nothing changed.
    bad = {**after, "scopes": {CUSTOMER: {"view": "own", "edit": "all"}}}
    response = client.put(url, bad, content_type="application/json")
    assert response.status_code == 400 and f"edit__{CUSTOMER}" in response.json()
    bad = {**after, "permissions": ["nope.nothing"]}
    response = client.put(url, bad, content_type="application/json")
    assert response.status_code == 400 and "permissions" in response.json()
    assert client.get(url).json() == after
