"""The audit trail follows data scopes: a branch manager reads the history of the records and the
logins of the people in their branch, nothing of another branch; bad filters answer 400."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from kehu.core.context import acting_as
from kehu.core.models import AuditLog
from kehu.customers import actions
from kehu.customers.tests.factories import customer as make_customer


@pytest.fixture
def scene(make_user):
    """Branch A and branch B, a salesperson and a customer (changed once) in each."""
    seller_a = make_user("salesperson", "a1", display_name="甲销售员")
    seller_b = make_user("salesperson", "b", display_name="乙销售员")
    cust_a = make_customer(seller_a, 1, name="甲分公司客户", city="北京")
    cust_b = make_customer(seller_b, 2, name="乙分公司客户", city="天津")
    for seller, cust, city in ((seller_a, cust_a, "甲城秘密"), (seller_b, cust_b, "乙城变更")):
        cust.city = city
        with acting_as(seller):
            actions.save_customer(customer=cust, user=seller)
    for seller in (seller_a, seller_b):
        AuditLog.record(seller, AuditLog.Action.LOGIN, {}, user=seller)
    return {
        "manager_b": make_user("branch_manager", "b"),
        "seller_a": seller_a,
        "seller_b": seller_b,
        "cust_a": cust_a,
        "cust_b": cust_b,
    }


def _keys(qs) -> set[tuple[str, str, str]]:
    return {
        (e.content_type.model, e.object_id, e.action) for e in qs.select_related("content_type")
    }


@pytest.mark.django_db
def test_branch_manager_sees_only_entries_in_their_scope(scene):
    visible = _keys(AuditLog.objects.visible_to(scene["manager_b"]))
    cust_a, cust_b = scene["cust_a"], scene["cust_b"]
    assert ("customer", str(cust_b.pk), "update") in visible
    assert ("user", str(scene["seller_b"].pk), "login") in visible
    assert not {k for k in visible if k[:2] == ("customer", str(cust_a.pk))}
    assert ("user", str(scene["seller_a"].pk), "login") not in visible


@pytest.mark.django_db
def test_types_without_view_permission_are_hidden(scene, roles):
    from kehu.system.actions.roles import set_role_scope

    set_role_scope(
        role=roles["salesperson"], object_type="customers.customer", view="own", edit="own"
    )
    assert AuditLog.objects.filter(content_type__model="role").exists()
    visible = _keys(AuditLog.objects.visible_to(scene["manager_b"]))
    assert not {k for k in visible if k[0] in ("role", "roledatascope")}


@pytest.mark.django_db
def test_administrator_with_all_scope_sees_everything(scene, make_user):
    admin = make_user("administrator", "hq")  # a role, not a superuser
    visible = _keys(AuditLog.objects.visible_to(admin))
    assert ("customer", str(scene["cust_a"].pk), "update") in visible
    assert ("user", str(scene["seller_a"].pk), "login") in visible
    assert visible == _keys(AuditLog.objects.all())


@pytest.mark.django_db
def test_record_history_needs_the_record_in_scope(scene):
    manager = scene["manager_b"]
    assert not AuditLog.objects.visible_to(manager, record=scene["cust_a"]).exists()
    own = AuditLog.objects.visible_to(manager, record=scene["cust_b"])
    assert {e.action for e in own} == {"create", "update"}


@pytest.mark.django_db
def test_audit_page_shows_only_entries_in_scope(client, scene):
    client.force_login(scene["manager_b"])
    page = client.get(reverse("core:audit_log")).content.decode()
    assert "乙城变更" in page and "乙销售员" in page
    assert "甲城秘密" not in page and "甲销售员" not in page and "甲分公司客户" not in page


@pytest.mark.django_db
def test_audit_page_user_filter_is_limited_to_the_scope(client, scene):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(scene["manager_b"])
    url = reverse("core:audit_log")
    outside = client.get(url, {"user": scene["seller_a"].pk})
    assert outside.status_code == 400
    assert "甲城秘密" not in outside.content.decode()
    inside = client.get(url, {"user": scene["seller_b"].pk})
    assert inside.status_code == 200
    assert "乙城变更" in inside.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"user": "abc"}, {"user": "99999999"}, {"action": "bogus"}])
def test_audit_page_bad_filters_answer_400_with_a_message(client, scene, query):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(scene["manager_b"])
    response = client.get(reverse("core:audit_log"), query)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_timeline_and_owner_history_use_the_scoped_trail(client, scene):
    manager = scene["manager_b"]
    client.force_login(manager)
    cust_b = scene["cust_b"]
    page = client.get(reverse("customers:customer_timeline", args=[cust_b.pk])).content.decode()
    assert "乙城变更" in page
    assert (
        client.get(reverse("customers:customer_detail", args=[scene["cust_a"].pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("customers:customer_timeline", args=[scene["cust_a"].pk])).status_code
        == 404
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("abc-123.X_y", True),
        ("<script>alert(1)</script>", False),
        ("a b", False),
        ("x" * 65, False),
    ],
)
def test_client_request_id_is_stored_only_when_sane(client, make_user, header, kept):
    seller = make_user("salesperson", "a1")
    client.post(
        reverse("core:login"),
        {"username": seller.username, "password": "pw-Kehu-123"},
        HTTP_X_REQUEST_ID=header,
    )
    entry = AuditLog.objects.get(action=AuditLog.Action.LOGIN, object_id=str(seller.pk))
    if kept:
        assert entry.request_id == header
    else:
        assert entry.request_id != header[:32]
        assert entry.request_id.isalnum() and len(entry.request_id) == 16
