"""Record shares: visible (and editable only with can_edit) to the target user or department,
everywhere data permissions apply; only editors may share; every change audited."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.core.models import AuditLog
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer
from kehu.system.actions import share_record, unshare_record
from kehu.system.models import RecordShare, User


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


@pytest.fixture
def setup(make_user, org):
    owner = make_user("salesperson", "hq")  # shares with colleagues in HQ and below: anyone
    return {
        "owner": owner,
        "obj": customer(owner, 1, name="共享测试客户"),
        "target": make_user("sales_manager", "b"),  # department scope in branch B, may export
        "a2_member": make_user("salesperson", "a2"),
        "b_member": make_user("salesperson", "b"),
        "org": org,
    }


def everywhere(client, obj) -> dict:
    """Whether ``obj`` shows in the list, detail, API list/detail and CSV export."""
    detail = reverse("customers:customer_detail", args=[obj.pk])
    listing = client.get(reverse("customers:customer_list")).content.decode()
    api_list = client.get("/api/customers/").json()["results"]
    export = client.get(reverse("customers:customer_list"), {"export": "csv"})
    return {
        "list": detail in listing,
        "detail": client.get(detail).status_code == 200,
        "api_list": obj.pk in [row["id"] for row in api_list],
        "api_detail": client.get(f"/api/customers/{obj.pk}/").status_code == 200,
        "export": export.status_code == 200
        and obj.name in b"".join(export.streaming_content).decode(),
    }


@pytest.mark.django_db
def test_shared_customer_is_visible_to_the_user_everywhere_but_editable_only_with_can_edit(
    client, setup
):
    obj, target = setup["obj"], setup["target"]
    client.force_login(target)
    assert not any(everywhere(client, obj).values())

    share = share_record(obj=obj, user=target, actor=setup["owner"])
    assert everywhere(client, obj) == dict.fromkeys(
        ["list", "detail", "api_list", "api_detail", "export"], True
    )
    assert client.get(reverse("customers:customer_edit", args=[obj.pk])).status_code == 403
    patch = client.patch(
        f"/api/customers/{obj.pk}/", {"city": "北京"}, content_type="application/json"
    )
    assert patch.status_code == 403
    assert not Customer.objects.editable_by(fresh(target)).filter(pk=obj.pk).exists()

    share_record(obj=obj, user=target, can_edit=True, actor=setup["owner"])
    assert RecordShare.objects.filter(pk=share.pk, can_edit=True).count() == 1
    assert RecordShare.objects.count() == 1
    assert client.get(reverse("customers:customer_edit", args=[obj.pk])).status_code == 200
    assert Customer.objects.editable_by(fresh(target)).filter(pk=obj.pk).exists()
    # Others are not affected.
    client.force_login(setup["b_member"])
    assert client.get(reverse("customers:customer_detail", args=[obj.pk])).status_code == 404

    unshare_record(share=RecordShare.objects.get(pk=share.pk), actor=setup["owner"])
    client.force_login(target)
    assert not any(everywhere(client, obj).values())


@pytest.mark.django_db
def test_department_share_reaches_members_of_the_department_and_below(client, setup):
    obj, org = setup["obj"], setup["org"]
    share_record(obj=obj, department=org["a"], actor=setup["owner"])
    member = fresh(setup["a2_member"])  # team A2 is below branch A
    assert Customer.objects.visible_to(member).filter(pk=obj.pk).exists()
    assert not Customer.objects.editable_by(member).filter(pk=obj.pk).exists()
    client.force_login(member)
    assert client.get(reverse("customers:customer_detail", args=[obj.pk])).status_code == 200
    assert client.get(reverse("customers:customer_edit", args=[obj.pk])).status_code == 403
    assert not Customer.objects.visible_to(fresh(setup["b_member"])).filter(pk=obj.pk).exists()

    share_record(obj=obj, department=org["a"], can_edit=True, actor=setup["owner"])
    assert Customer.objects.editable_by(fresh(member)).filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_only_someone_who_may_edit_the_record_may_share_it(setup):
    obj, target = setup["obj"], setup["target"]
    with pytest.raises(PermissionDenied):
        share_record(obj=obj, user=setup["b_member"], actor=target)
    share_record(obj=obj, user=target, actor=setup["owner"])
    with pytest.raises(PermissionDenied):  # sees it through the share, but may not edit
        share_record(obj=obj, user=setup["b_member"], actor=fresh(target))
    share = RecordShare.objects.get()
    with pytest.raises(PermissionDenied):
        unshare_record(share=share, actor=fresh(target))
    with pytest.raises(ValidationError):
        share_record(obj=obj, actor=setup["owner"])  # no target
    with pytest.raises(ValidationError):
        share_record(
            obj=obj,
            user=target,
            department=setup["org"]["b"],
            actor=setup["owner"],
        )
    assert RecordShare.objects.count() == 1


@pytest.mark.django_db
def test_shares_are_audited(setup):
    obj, target = setup["obj"], setup["target"]
    share = share_record(obj=obj, user=target, can_edit=True, actor=setup["owner"])
    entries = AuditLog.for_object(obj).filter(action=AuditLog.Action.PERMISSION)
    assert [e.changes for e in entries] == [
        {"shared_with": f"user:{target.username}", "can_edit": True}
    ]
    assert entries[0].user == setup["owner"]
    assert AuditLog.for_object(share).filter(action=AuditLog.Action.CREATE).exists()
    share_pk = share.pk
    unshare_record(share=share, actor=setup["owner"])
    assert (
        AuditLog.for_object(obj)
        .filter(action=AuditLog.Action.PERMISSION, changes__unshared_with=f"user:{target.username}")
        .exists()
    )
    assert AuditLog.objects.filter(
        action=AuditLog.Action.DELETE,
        content_type=ContentType.objects.get_for_model(RecordShare),
        object_id=str(share_pk),
    ).exists()


@pytest.mark.django_db
def test_share_api_lists_creates_and_deletes_with_the_same_checks(client, setup, make_user):
    obj, target, owner = setup["obj"], setup["target"], setup["owner"]
    params = {"object_type": "customers.customer", "object_id": obj.pk}
    client.force_login(owner)
    assert client.get("/api/shares/", params).json() == []
    created = client.post(
        "/api/shares/",
        {**params, "user": target.pk, "can_edit": False},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["type"] == "customers.customer" and body["user"] == target.pk
    listed = client.get("/api/shares/", params).json()
    assert [s["id"] for s in listed] == [body["id"]]
    assert Customer.objects.visible_to(fresh(target)).filter(pk=obj.pk).exists()

    # The target sees the share list but may not share further or withdraw it.
    client.force_login(target)
    assert client.get("/api/shares/", params).status_code == 200
    again = client.post(
        "/api/shares/", {**params, "user": setup["b_member"].pk}, content_type="application/json"
    )
    assert again.status_code == 403
    assert client.delete(f"/api/shares/{body['id']}/").status_code == 403

    # Outside the view scope: 404, as for the record itself.
    client.force_login(setup["b_member"])
    assert client.get("/api/shares/", params).status_code == 404
    assert client.delete(f"/api/shares/{body['id']}/").status_code == 404
    sneaky = client.post(
        "/api/shares/", {**params, "user": setup["b_member"].pk}, content_type="application/json"
    )
    assert sneaky.status_code == 404
    # No functional permission on customers at all: 403.
    client.force_login(make_user(None, "a1"))
    assert client.get("/api/shares/", params).status_code == 403
    # ... refused before the request is read, whatever it asks for
    assert (
        client.get("/api/shares/", {"object_type": "nope.nope", "object_id": 1}).status_code == 403
    )

    client.force_login(owner)
    assert (
        client.get("/api/shares/", {"object_type": "nope.nope", "object_id": 1}).status_code == 404
    )
    assert client.delete(f"/api/shares/{body['id']}/").status_code == 204
    assert not RecordShare.objects.exists()
    assert not Customer.objects.visible_to(fresh(target)).filter(pk=obj.pk).exists()


@pytest.mark.django_db
def test_share_api_needs_login(client, setup):
    params = {"object_type": "customers.customer", "object_id": setup["obj"].pk}
    assert client.get("/api/shares/", params).status_code in (401, 403)
