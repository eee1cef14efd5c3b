"""Departments and employees: the tree, moving, deactivating, creating people and their leaving."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.core.audit import unaudited_write
from kehu.core.models import AuditLog, Notification
from kehu.core.testing import picker_choices
from kehu.customers.tests.factories import customer
from kehu.system import actions
from kehu.system.forms.org import DepartmentForm
from kehu.system.models import Department, EmployeeSkill, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    """Action messages are compared in English; pages are checked in Chinese through the client."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def admin(make_user):
    return make_user("administrator", "hq")


def english(client):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def deep(org):
    """HQ > A > A1 > A1x > A1y: a subtree three levels deep below A."""
    a1x = actions.create_department(name="一组", code="A1X", parent=org["a1"])
    a1y = actions.create_department(name="一小组", code="A1Y", parent=a1x)
    return {**org, "a1x": a1x, "a1y": a1y}


# --- Moving departments -------------------------------------------------------------------------


def test_move_updates_paths_and_depths_of_the_whole_subtree(deep):
    actions.move_department(department=deep["a1"], new_parent=deep["b"])
    got = {d.code: (d.path, d.depth) for d in Department.objects.all()}
    assert got["A1"] == ("HQ/B/A1/", 2)
    assert got["A1X"] == ("HQ/B/A1/A1X/", 3)
    assert got["A1Y"] == ("HQ/B/A1/A1X/A1Y/", 4)
    assert got["A2"] == ("HQ/A/A2/", 2)  # siblings stay
    assert list(Department.objects.subtree_of(deep["b"]).values_list("code", flat=True)) == [
        "B",
        "A1",
        "A1X",
        "A1Y",
    ]
    entry = AuditLog.for_object(deep["a1y"]).filter(action="update").first()
    assert entry.changes["path"] == ["HQ/A/A1/A1X/A1Y/", "HQ/B/A1/A1X/A1Y/"]


def test_move_to_the_top_level(deep):
    actions.move_department(department=deep["a1x"], new_parent=None)
    deep["a1y"].refresh_from_db()
    assert deep["a1y"].path == "A1X/A1Y/" and deep["a1y"].depth == 1


@pytest.mark.parametrize("target", ["a", "a1", "a1y"])
def test_move_under_itself_or_a_descendant_is_refused(deep, target):
    before = dict(Department.objects.values_list("code", "path"))
    with pytest.raises(ValidationError, match="under itself"):
        actions.move_department(department=deep["a"], new_parent=deep[target])
    assert dict(Department.objects.values_list("code", "path")) == before


def test_edit_form_offers_no_parent_inside_the_subtree(deep):
    choices = set(DepartmentForm(instance=deep["a1"]).fields["parent"].queryset)
    assert deep["a1"] not in choices and deep["a1x"] not in choices
    assert deep["a1y"] not in choices
    assert deep["a"] in choices and deep["b"] in choices


def test_edit_page_moves_the_subtree_and_refuses_a_cycle(client, admin, deep):
    client.force_login(admin)
    url = reverse("system:department_edit", args=[deep["a1"].pk])
    data = {"code": "A1", "name": "销售一部", "kind": "team", "is_active": "on", "version": 1}
    bad = client.post(url, {**data, "parent": deep["a1y"].pk})
    assert bad.status_code == 200
    ok = client.post(url, {**data, "parent": deep["b"].pk})
    assert ok.status_code == 302
    deep["a1y"].refresh_from_db()
    assert deep["a1y"].path == "HQ/B/A1/A1X/A1Y/"


def test_renaming_the_code_rewrites_the_subtree_paths(deep):
    a1 = Department.objects.get(code="A1")
    a1.code = "A1NEW"
    actions.save_department(department=a1)
    deep["a1y"].refresh_from_db()
    assert deep["a1y"].path == "HQ/A/A1NEW/A1X/A1Y/"


def test_api_patch_parent_moves_and_refuses_cycles(client, admin, deep):
    client.force_login(admin)
    url = f"/api/departments/{deep['a1'].pk}/"
    version = deep["a1"].version
    cycle = client.patch(
        url, {"parent": deep["a1x"].pk, "version": version}, content_type="application/json"
    )
    assert cycle.status_code == 400
    moved = client.patch(
        url, {"parent": deep["b"].pk, "version": version}, content_type="application/json"
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["path"] == "HQ/B/A1/"
    deep["a1y"].refresh_from_db()
    assert deep["a1y"].path == "HQ/B/A1/A1X/A1Y/"


def test_a_move_rewrites_the_subtree_in_one_audited_batch_with_versions_bumped(deep):
    """The subtree moves through the audit writer: one batch, every descendant's version on."""
    versions = dict(Department.objects.values_list("code", "version"))
    actions.move_department(department=deep["a1"], new_parent=deep["b"])
    moved = Department.objects.filter(code__in=["A1X", "A1Y"])
    assert {d.code: d.version for d in moved} == {
        "A1X": versions["A1X"] + 1,
        "A1Y": versions["A1Y"] + 1,
    }
    entries = [AuditLog.for_object(d).filter(action="update").first() for d in moved]
    assert len({e.batch for e in entries}) == 1 and entries[0].batch
    assert entries[0].changes["path"] == ["HQ/A/A1/A1X/", "HQ/B/A1/A1X/"]


def test_the_node_owns_its_moves_whatever_saves_it(deep):
    """Any save that changes a node's path (admin, a script) moves its subtree and refuses a
    parent inside it: not only the actions."""
    a1 = Department.objects.get(code="A1")
    a1.parent = deep["b"]
    a1.save()
    assert Department.objects.get(code="A1Y").path == "HQ/B/A1/A1X/A1Y/"
    a = Department.objects.get(code="A")
    a.parent = Department.objects.get(code="A2")
    with pytest.raises(ValidationError, match="under itself"):
        a.save()
    a = Department.objects.get(code="A")
    a.code = "AA"
    a.save()
    assert Department.objects.get(code="A2").path == "HQ/AA/A2/"
    Department.objects.get(code="A1X").move_to(None)
    assert Department.objects.get(code="A1Y").depth == 1


def test_a_code_with_a_slash_is_refused(org):
    with pytest.raises(ValidationError):
        actions.save_department(department=Department(code="X/Y", name="x", parent=org["a"]))
    assert not Department.objects.filter(name="x").exists()


def test_rename_department(org):
    actions.rename_department(department=org["a1"], name=" 精英销售部 ")
    org["a1"].refresh_from_db()
    assert org["a1"].name == "精英销售部"
    with pytest.raises(ValidationError):
        actions.rename_department(department=org["a1"], name="  ")


# --- Deactivating and deleting departments ------------------------------------------------------


def test_deactivating_a_department_with_active_members_is_refused(make_user, org):
    person = make_user("salesperson", "a1")
    with pytest.raises(ValidationError, match="active members"):
        actions.deactivate_department(department=org["a1"])
    person.is_active = False
    person.save()
    actions.deactivate_department(department=org["a1"])
    org["a1"].refresh_from_db()
    assert org["a1"].is_active is False


def test_deactivating_a_department_with_active_sub_departments_is_refused(org):
    with pytest.raises(ValidationError, match="sub-departments"):
        actions.deactivate_department(department=org["a"])
    actions.deactivate_department(department=org["a1"])
    actions.deactivate_department(department=org["a2"])
    actions.deactivate_department(department=org["a"])
    assert not Department.objects.get(pk=org["a"].pk).is_active


def test_deactivating_through_the_edit_form_shows_the_reason(client, admin, make_user, org):
    make_user("salesperson", "a2")
    english(client)
    client.force_login(admin)
    response = client.post(
        reverse("system:department_edit", args=[org["a2"].pk]),
        {"code": "A2", "name": "销售二部", "kind": "team", "parent": org["a"].pk, "version": 1},
    )
    assert response.status_code == 200
    assert "cannot be deactivated" in response.content.decode()
    assert Department.objects.get(pk=org["a2"].pk).is_active


def test_deleting_a_department_in_use_is_refused_with_a_message(client, admin, org):
    client.force_login(admin)
    response = client.post(reverse("system:department_delete", args=[org["a"].pk]), follow=True)
    assert Department.objects.filter(pk=org["a"].pk).exists()
    assert "cannot be deleted" in response.content.decode() or "无法删除" in (
        response.content.decode()
    )
    api = client.delete(f"/api/departments/{org['hq'].pk}/")
    assert api.status_code == 409


# --- The tree page ------------------------------------------------------------------------------


def test_tree_page_nests_departments_with_member_counts(client, admin, make_user, deep):
    make_user("salesperson", "a1")
    make_user("salesperson", "a1")
    gone = make_user("salesperson", "a1")
    gone.is_active = False
    gone.save()
    english(client)
    client.force_login(admin)
    response = client.get(reverse("system:department_tree"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<details" in html and "<summary" in html
    # A1 is nested inside A, and A1Y inside A1X
    assert html.index('data-department="A"') < html.index('data-department="A1"')
    a1 = html[html.index('data-department="A1"') :]
    assert "2</span>" in a1[: a1.index("</summary>")]  # two active members
    assert reverse("system:department_detail", args=[deep["a1y"].pk]) in html


def test_tree_page_shows_the_fifth_level_with_expand_markers(client, admin, org):
    from kehu.system.actions import create_department

    x = create_department(name="第四级", code="A1X", parent=org["a1"])
    y = create_department(name="第五级", code="A1XY", parent=x)
    create_department(name="第六级", code="A1XYZ", parent=y)
    client.force_login(admin)
    html = client.get(reverse("system:department_tree")).content.decode()
    fourth = html[html.index('data-department="A1X"') :]
    # levels 1-4 are open: the fifth level shows; every node with children has its marker
    assert fourth.startswith('data-department="A1X">\n<details open>')
    assert 'data-department="A1XY"' in fourth
    fifth = html[html.index('data-department="A1XY"') :]
    assert fifth.startswith('data-department="A1XY">\n<details>')  # closed, yet expandable
    assert '<summary class="tree-summary' in fifth[: fifth.index("</summary>")]
    assert html.count('class="tree-summary') == html.count("<details")


def test_tree_page_hides_inactive_departments_unless_asked(client, admin, org):
    actions.deactivate_department(department=org["a2"])
    client.force_login(admin)
    url = reverse("system:department_tree")
    assert 'data-department="A2"' not in client.get(url).content.decode()
    assert 'data-department="A2"' in client.get(url, {"inactive": "1"}).content.decode()


def test_tree_page_needs_the_functional_permission(client, make_user, org):
    client.force_login(make_user(None, "a1"))
    assert client.get(reverse("system:department_tree")).status_code == 403


def test_system_index_links_the_tree(client, admin):
    client.force_login(admin)
    html = client.get(reverse("system:index")).content.decode()
    assert reverse("system:department_tree") in html


# --- Employees ----------------------------------------------------------------------------------


def employee_post(org, **extra):
    return {
        "username": "zhangsan",
        "display_name": "张三",
        "employee_no": "E1001",
        "department": org["a1"].pk,
        "title": "销售代表",
        "phone": "13800001111",
        "email": "zhangsan@example.com",
        **extra,
    }


def test_creating_an_employee_with_a_weak_password_is_refused_in_chinese(client, admin, org):
    client.force_login(admin)
    response = client.post(
        reverse("system:user_add"),
        employee_post(org, password1="12345678", password2="12345678"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "这个密码太常见了" in html or "密码全部为数字" in html
    assert not User.objects.filter(username="zhangsan").exists()


def test_creating_an_employee_with_mismatched_passwords_is_refused(client, admin, org):
    client.force_login(admin)
    response = client.post(
        reverse("system:user_add"),
        employee_post(org, password1="Zq9-kehu-long", password2="Zq9-kehu-lonx"),
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="zhangsan").exists()


def test_creating_an_employee_with_roles_and_a_good_password(client, admin, roles, org):
    client.force_login(admin)
    response = client.post(
        reverse("system:user_add"),
        employee_post(
            org,
            password1="Zq9-kehu-long",
            password2="Zq9-kehu-long",
            roles=[roles["salesperson"].pk],
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    user = User.objects.get(username="zhangsan")
    assert user.check_password("Zq9-kehu-long")
    assert list(user.roles.all()) == [roles["salesperson"]]
    assert AuditLog.for_object(user).filter(action="create").exists()
    assert AuditLog.for_object(user).filter(action="permission").exists()
    assert "password" not in AuditLog.for_object(user).get(action="create").changes


def test_api_create_validates_the_password(client, admin, org):
    client.force_login(admin)
    body = {"username": "lisi", "department": org["a1"].pk, "password": "password"}
    weak = client.post("/api/users/", body, content_type="application/json")
    assert weak.status_code == 400 and "password" in weak.json()
    good = client.post(
        "/api/users/", {**body, "password": "Zq9-kehu-long"}, content_type="application/json"
    )
    assert good.status_code == 201, good.content
    assert "password" not in good.json()
    assert User.objects.get(username="lisi").check_password("Zq9-kehu-long")


@pytest.fixture
def user_admin_without_special(make_user, org):
    """May view, add and change employees, but lacks the “manage users” special permission."""
    role = Role.objects.create(name="hr-clerk", default_view_scope="all", default_edit_scope="all")
    role.permissions.set(
        Permission.objects.filter(
            content_type__app_label="system",
            codename__in=["view_user", "add_user", "change_user", "delete_user"],
        )
    )
    user = make_user(None, "hq")
    user.roles.add(role)
    return user


def test_managing_users_requires_the_special_permission(
    client, user_admin_without_special, make_user, org
):
    other = make_user("salesperson", "a1")
    client.force_login(user_admin_without_special)
    # Reading is allowed with the model permission alone …
    assert client.get(reverse("system:user_list")).status_code == 200
    assert client.get(reverse("system:user_detail", args=[other.pk])).status_code == 200
    assert client.get(f"/api/users/{other.pk}/").status_code == 200
    # … changing anything is not.
    assert client.get(reverse("system:user_add")).status_code == 403
    assert client.post(reverse("system:user_add"), employee_post(org)).status_code == 403
    assert client.get(reverse("system:user_edit", args=[other.pk])).status_code == 403
    assert client.get(reverse("system:user_deactivate", args=[other.pk])).status_code == 403
    assert client.post(reverse("system:user_deactivate", args=[other.pk])).status_code == 403
    assert (
        client.post(
            "/api/users/", {"username": "x", "password": ""}, content_type="application/json"
        ).status_code
        == 403
    )
    patch = client.patch(
        f"/api/users/{other.pk}/", {"title": "经理"}, content_type="application/json"
    )
    assert patch.status_code == 403
    other.refresh_from_db()
    assert other.is_active and other.title == ""
    assert not User.objects.filter(username="zhangsan").exists()


def test_employees_are_never_deleted(client, admin, make_user):
    other = make_user("salesperson", "a1")
    client.force_login(admin)
    assert client.post(reverse("system:user_delete", args=[other.pk])).status_code == 403
    assert client.delete(f"/api/users/{other.pk}/").status_code == 403
    detail = client.get(reverse("system:user_detail", args=[other.pk])).content.decode()
    assert reverse("system:user_delete", args=[other.pk]) not in detail
    assert User.objects.filter(pk=other.pk).exists()


def test_skills_are_edited_on_the_edit_page_and_audited(client, admin, make_user, org):
    person = make_user("service_agent", "a1", username="agent1")
    client.force_login(admin)
    url = reverse("system:user_edit", args=[person.pk])
    form = {
        "username": "agent1",
        "department": org["a1"].pk,
        "roles": [r.pk for r in person.roles.all()],
        "version": person.version,
        "skills-TOTAL_FORMS": "2",
        "skills-INITIAL_FORMS": "0",
        "skills-MIN_NUM_FORMS": "0",
        "skills-MAX_NUM_FORMS": "30",
        "skills-0-skill": "网络",
        "skills-0-level": "4",
        "skills-1-skill": "软件",
        "skills-1-level": "2",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert dict(person.skills.values_list("skill", "level")) == {"网络": 4, "软件": 2}
    assert AuditLog.for_object(person).filter(changes__has_key="skills").exists()
    bad = client.post(
        url, {**form, "version": User.objects.get(pk=person.pk).version, "skills-0-level": "9"}
    )
    assert bad.status_code == 200
    assert dict(person.skills.values_list("skill", "level")) == {"网络": 4, "软件": 2}


def test_filters_by_department_subtree_role_and_skill(client, admin, make_user, roles, org):
    in_a1 = make_user("salesperson", "a1", username="p_a1")
    in_a = make_user("service_agent", "a", username="p_a")
    in_b = make_user("salesperson", "b", username="p_b")
    EmployeeSkill.objects.create(user=in_a, skill="网络", level=5)
    EmployeeSkill.objects.create(user=in_b, skill="网络", level=2)
    client.force_login(admin)

    def names(**params):
        html = client.get(reverse("system:user_list"), params).content.decode()
        return {u for u in ("p_a1", "p_a", "p_b") if f">{u}<" in html}

    assert names(department=org["a"].pk) == {"p_a"}
    assert names(department=org["a"].pk, include_subdepartments="true") == {"p_a", "p_a1"}
    assert names(role=roles["salesperson"].pk) == {"p_a1", "p_b"}
    assert names(skill="网络") == {"p_a", "p_b"}
    assert names(skill="网络", min_level="4") == {"p_a"}
    assert names(q="p_a1") == {"p_a1"}
    in_a1.is_active = False
    in_a1.save()
    assert names(is_active="false") == {"p_a1"}


# --- Leaving: deactivation and handover ---------------------------------------------------------


@pytest.fixture
def leaver(make_user):
    person = make_user("salesperson", "a1", username="leaver")
    for n in range(5):
        customer(person, n)
    return person


def test_deactivation_hands_customers_over_round_robin(admin, make_user, org, leaver):
    from kehu.customers.models import Customer

    c1 = make_user("salesperson", "a2", username="c1")
    c2 = make_user("salesperson", "b", username="c2")
    actions.deactivate_employee(
        employee=leaver, left_on=datetime.date(2026, 11, 30), handover_to=[c1, c2], by=admin
    )
    leaver.refresh_from_db()
    assert leaver.is_active is False and leaver.left_on == datetime.date(2026, 11, 30)
    assert not Customer.objects.filter(owner=leaver).exists()
    mine = {p.username: list(Customer.objects.filter(owner=p)) for p in (c1, c2)}
    assert len(mine["c1"]) == 3 and len(mine["c2"]) == 2
    assert {c.department_id for c in mine["c1"]} == {org["a2"].pk}
    assert {c.department_id for c in mine["c2"]} == {org["b"].pk}
    moved = AuditLog.objects.filter(content_type__model="customer", action="update")
    assert moved.count() == 5
    assert all(str(leaver.pk) == str(e.changes["owner_id"][0]) for e in moved)
    assert Notification.objects.filter(recipient=c1, kind="handover").count() == 1
    assert Notification.objects.filter(recipient=c2, kind="handover").count() == 1
    assert "3" in Notification.objects.get(recipient=c1).title
    assert AuditLog.for_object(leaver).filter(changes__has_key="is_active").exists()


def test_deactivation_needs_someone_to_take_over_owned_records(admin, leaver):
    with pytest.raises(ValidationError) as exc:
        actions.deactivate_employee(employee=leaver, left_on=datetime.date.today(), by=admin)
    assert "handover_to" in exc.value.error_dict
    leaver.refresh_from_db()
    assert leaver.is_active


def test_deactivation_without_owned_records_needs_no_colleague(admin, make_user):
    person = make_user("service_agent", "a1")
    actions.deactivate_employee(employee=person, left_on=datetime.date.today(), by=admin)
    person.refresh_from_db()
    assert not person.is_active


def test_deactivating_yourself_is_refused(admin):
    with pytest.raises(ValidationError, match="yourself"):
        actions.deactivate_employee(employee=admin, left_on=datetime.date.today(), by=admin)
    admin.refresh_from_db()
    assert admin.is_active


def test_handover_only_to_active_colleagues(admin, make_user, leaver):
    gone = make_user("salesperson", "a2")
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError):
        actions.deactivate_employee(
            employee=leaver, left_on=datetime.date.today(), handover_to=[gone], by=admin
        )
    with pytest.raises(ValidationError):
        actions.deactivate_employee(
            employee=leaver, left_on=datetime.date.today(), handover_to=[leaver], by=admin
        )


def test_a_failing_handover_leaves_nothing_half_done(admin, make_user, leaver):
    from kehu.customers.models import Customer

    def explode(employee, colleagues):
        raise RuntimeError("boom")

    colleague = make_user("salesperson", "a2")
    actions.register_handover("exploding", "Exploding", lambda e: 1, explode)
    try:
        with pytest.raises(RuntimeError):
            actions.deactivate_employee(
                employee=leaver,
                left_on=datetime.date.today(),
                handover_to=[colleague],
                by=admin,
            )
    finally:
        actions.HANDOVERS.pop("exploding")
    leaver.refresh_from_db()
    assert leaver.is_active and leaver.left_on is None
    assert Customer.objects.filter(owner=leaver).count() == 5
    assert not Notification.objects.filter(kind="handover").exists()
    assert not AuditLog.objects.filter(content_type__model="customer", action="update").exists()


def test_deactivate_page_shows_what_is_owned_and_runs_the_handover(
    client, admin, make_user, leaver
):
    from kehu.customers.models import Customer

    colleague = make_user("salesperson", "a2", username="heir")
    english(client)
    client.force_login(admin)
    url = reverse("system:user_deactivate", args=[leaver.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Customers" in html and ">5</span>" in html
    assert str(colleague.pk) in picker_choices(client, html, "handover_to", "heir")
    missing = client.post(url, {"left_on": "2026-11-30"})
    assert missing.status_code == 200
    assert "choose who takes them over" in missing.content.decode()
    done = client.post(url, {"left_on": "2026-11-30", "handover_to": [colleague.pk]})
    assert done.status_code == 302
    assert Customer.objects.filter(owner=colleague).count() == 5
    leaver.refresh_from_db()
    assert not leaver.is_active


def test_deactivate_page_refuses_yourself(client, admin):
    english(client)
    client.force_login(admin)
    url = reverse("system:user_deactivate", args=[admin.pk])
    response = client.post(url, {"left_on": "2026-11-30"})
    assert response.status_code == 200
    assert "You cannot deactivate yourself" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_api_deactivate(client, admin, make_user, leaver):
    colleague = make_user("salesperson", "a2")
    client.force_login(admin)
    response = client.post(
        f"/api/users/{leaver.pk}/deactivate/",
        {"left_on": "2026-11-30", "handover_to": [colleague.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False


def test_reactivate(client, admin, make_user):
    person = make_user("service_agent", "a1")
    actions.deactivate_employee(employee=person, left_on=datetime.date.today(), by=admin)
    client.force_login(admin)
    assert client.post(reverse("system:user_reactivate", args=[person.pk])).status_code == 302
    person.refresh_from_db()
    assert person.is_active and person.left_on is None


def test_global_search_finds_employees(client, admin, make_user):
    person = make_user("salesperson", "a1", username="searchme", display_name="王小明")
    client.force_login(admin)
    html = client.get(reverse("core:search"), {"q": "王小明"}).content.decode()
    assert reverse("system:user_detail", args=[person.pk]) in html


# --- Demo ---------------------------------------------------------------------------------------


def test_demo_org_chart_is_deep_keeps_the_known_logins_and_is_deterministic(db):
    from kehu.core.demo import DemoContext
    from kehu.system.demo.org import DEMO_PASSWORD, org_chart

    ctx = DemoContext(seed=7, customers=0, employees=120, out=lambda _s: None)
    org_chart(ctx)
    assert User.objects.count() == 120
    assert Department.objects.values("depth").distinct().count() >= 5
    assert Department.objects.count() >= 12
    assert set(Department.objects.values_list("kind", flat=True)) >= {
        "group",
        "company",
        "branch",
        "office",
        "team",
    }
    for username in ("admin", "director", "manager1", "lead11", "sales1"):
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    sales1 = User.objects.get(username="sales1")
    assert sales1.roles.get().name == "salesperson" and sales1.manager.username == "lead11"
    assert EmployeeSkill.objects.filter(skill="售后维修").exists()
    assert AuditLog.objects.filter(content_type__model="user", action="create").count() == 120
    first = list(User.objects.order_by("username").values_list("username", "display_name"))
    # Same seed, same company (names included) after a reset.
    EmployeeSkill.objects.all().delete()
    User.roles.through.objects.all().delete()
    AuditLog.objects.all().delete()
    with unaudited_write("test clean-up"):  # (and the references other apps null on delete)
        User.objects.update(manager=None, created_by=None, updated_by=None)
        User.objects.all().delete()
    for depth in range(6, -1, -1):
        Department.objects.filter(depth=depth).delete()
    org_chart(DemoContext(seed=7, customers=0, employees=120, out=lambda _s: None))
    assert list(User.objects.order_by("username").values_list("username", "display_name")) == first
