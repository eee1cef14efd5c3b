"""The share widget on owned records' detail pages: who sees it, who may add or remove shares,
that it goes through the actions (audited) and that the shares take effect."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from kehu.core.models import AuditLog
from kehu.customers.tests.factories import contact, customer
from kehu.system.actions import share_record
from kehu.system.models import RecordShare

LABEL = "customers.customer"


def widget_url(obj) -> str:
    return reverse("system:record_shares", args=[LABEL, obj.pk])


def delete_url(obj, share) -> str:
    return reverse("system:record_share_delete", args=[LABEL, obj.pk, share.pk])


def shares_of(obj):
    ct = ContentType.objects.get_for_model(type(obj))
    return RecordShare.objects.filter(content_type=ct, object_id=obj.pk)


@pytest.fixture
def setup(make_user, org):
    owner = make_user("salesperson", "hq")  # shares with colleagues in HQ and below: anyone
    return {
        "owner": owner,
        "obj": customer(owner, 1, name="小部件测试客户"),
        "target": make_user("salesperson", "b"),
        "viewer": make_user("service_agent", "b"),  # sees every customer, may change none
        "outsider": make_user("salesperson", "a2"),
        "org": org,
    }


@pytest.mark.django_db
def test_the_detail_page_loads_the_widget_and_the_owner_sees_the_form(client, setup):
    obj = setup["obj"]
    client.force_login(setup["owner"])
    # The generic detail page (here: a contact's) loads the widget of any owned record.
    person = contact(setup["owner"], 2)
    page = client.get(reverse("customers:contact_detail", args=[person.pk])).content.decode()
    hook = reverse("system:record_shares", args=["customers.contact", person.pk])
    assert f'hx-get="{hook}"' in page
    assert client.get(hook).status_code == 200

    response = client.get(widget_url(obj))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="record-shares"' in html
    assert f'hx-post="{widget_url(obj)}"' in html
    assert 'hx-target="#record-shares"' in html and 'hx-swap="outerHTML"' in html
    assert "员工" in html and "部门" in html  # Chinese by default
    # Only active employees can be chosen.
    inactive = setup["outsider"]
    inactive.is_active = False
    inactive.save()
    html = client.get(widget_url(obj)).content.decode()
    assert f'<option value="{setup["target"].pk}">{setup["target"]}</option>' in html
    assert f">{inactive}</option>" not in html


@pytest.mark.django_db
def test_the_owner_adds_and_removes_shares_audited_and_the_target_sees_the_customer(client, setup):
    obj, owner, target = setup["obj"], setup["owner"], setup["target"]
    list_url = reverse("customers:customer_list")
    detail_url = reverse("customers:customer_detail", args=[obj.pk])
    target_client = Client()
    target_client.force_login(target)
    assert detail_url not in target_client.get(list_url).content.decode()

    client.force_login(owner)
    response = client.post(widget_url(obj), {"user": target.pk, "can_edit": "on"})
    assert response.status_code == 200
    share = shares_of(obj).get()
    assert share.user == target and share.can_edit and share.created_by == owner
    html = response.content.decode()
    assert str(target) in html and delete_url(obj, share) in html
    assert (
        AuditLog.for_object(obj)
        .filter(action=AuditLog.Action.PERMISSION, user=owner)
        .filter(changes__shared_with=f"user:{target.username}")
        .exists()
    )
    assert detail_url in target_client.get(list_url).content.decode()
    assert target_client.get(detail_url).status_code == 200

    # A department share too, view only (not the target's department).
    response = client.post(widget_url(obj), {"department": setup["org"]["a2"].pk})
    assert response.status_code == 200
    assert shares_of(obj).count() == 2
    assert setup["org"]["a2"].name in response.content.decode()

    response = client.post(delete_url(obj, share))
    assert response.status_code == 200
    assert not shares_of(obj).filter(user=target).exists()
    assert (
        AuditLog.for_object(obj)
        .filter(action=AuditLog.Action.PERMISSION, user=owner)
        .filter(changes__unshared_with=f"user:{target.username}")
        .exists()
    )
    assert delete_url(obj, share) not in response.content.decode()
    assert detail_url not in target_client.get(list_url).content.decode()


@pytest.mark.django_db
def test_errors_from_the_action_show_inside_the_widget_in_the_users_language(client, setup):
    obj = setup["obj"]
    client.force_login(setup["owner"])
    response = client.post(widget_url(obj), {})
    assert response.status_code == 200
    assert "请选择共享给一名员工或一个部门（二选一）。" in response.content.decode()
    both = {"user": setup["target"].pk, "department": setup["org"]["b"].pk}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(widget_url(obj), both)
    html = response.content.decode()
    assert "Share with either an employee or a department." in html
    assert 'for="share-user">Employee</label>' in html  # labels follow the language too
    assert not shares_of(obj).exists()


@pytest.mark.django_db
def test_outsiders_get_404_and_unknown_or_unowned_types_too(client, setup):
    obj = setup["obj"]
    client.force_login(setup["outsider"])
    assert client.get(widget_url(obj)).status_code == 404
    assert client.post(widget_url(obj), {"user": setup["outsider"].pk}).status_code == 404
    assert not shares_of(obj).exists()
    client.force_login(setup["owner"])
    assert client.get(reverse("system:record_shares", args=["nope.nope", 1])).status_code == 404
    assert client.get(reverse("system:record_shares", args=["system.role", 1])).status_code == 404


@pytest.mark.django_db
def test_view_only_users_see_no_form_and_get_403_on_post(client, setup):
    obj, owner = setup["obj"], setup["owner"]
    share = share_record(obj=obj, user=setup["target"], actor=owner)
    for user in (setup["viewer"], setup["target"]):  # no change permission / not editable
        client.force_login(user)
        response = client.get(widget_url(obj))
        assert response.status_code == 200
        html = response.content.decode()
        assert str(setup["target"]) in html
        assert "hx-post" not in html
        assert client.post(widget_url(obj), {"user": user.pk}).status_code == 403
        assert client.post(delete_url(obj, share)).status_code == 403
    assert shares_of(obj).count() == 1


@pytest.mark.django_db
def test_the_widget_needs_the_record_types_view_permission_and_a_login(client, setup, make_user):
    obj = setup["obj"]
    assert client.get(widget_url(obj)).status_code == 302
    client.force_login(make_user(None, "a1"))  # no role at all
    assert client.get(widget_url(obj)).status_code == 403


@pytest.mark.django_db
def test_removing_needs_a_share_of_this_record(client, setup):
    obj, owner = setup["obj"], setup["owner"]
    other = customer(owner, 2)
    share = share_record(obj=other, user=setup["target"], actor=owner)
    client.force_login(owner)
    assert client.post(delete_url(obj, share)).status_code == 404
    assert client.get(delete_url(other, share)).status_code == 405
    assert RecordShare.objects.filter(pk=share.pk).exists()


@pytest.mark.django_db
def test_csrf_is_required(setup):
    obj, owner = setup["obj"], setup["owner"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(widget_url(obj), {"user": setup["target"].pk}).status_code == 403
    assert not shares_of(obj).exists()
    client.get(widget_url(obj))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        widget_url(obj), {"user": setup["target"].pk}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert shares_of(obj).count() == 1


def test_role_link_is_hidden_without_manage_users(client, make_user):
    from django.contrib.auth.models import Permission

    from kehu.system.models import Role

    role = Role.objects.create(name="role-viewer")
    role.permissions.add(Permission.objects.get(codename="view_role"))
    user = make_user(None, "a1")
    user.roles.add(role)
    client.force_login(user)
    assert "/system/roles/" not in client.get(reverse("system:index")).content.decode()
    assert client.get(reverse("system:role_list")).status_code == 403
