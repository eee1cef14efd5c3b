"""Custom field definitions: who may manage them, the set-up pages and API, checks on
definitions, ordering, the cache (no query once warm, fresh after a change) and stale edits."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kehu.core.customfields import definitions, definitions_changed
from kehu.core.models import AuditLog
from kehu.customers.forms import CustomerForm
from kehu.customers.models import Customer
from kehu.system.actions import move_custom_field, save_custom_field
from kehu.system.models import CustomField

from .factories_customfields import custom_field

ADD = {
    "object_type": "customers.customer",
    "code": "source_channel",
    "label_zh": "客户来源渠道",
    "label_en": "Source channel",
    "kind": "choice",
    "choices_text": "wechat | 微信 | WeChat\nexpo | 展会 | Trade show",
    "default_text": "",
    "help_text": "",
    "order": "",
    "is_active": "on",
    "show_in_list": "on",
    "filterable": "on",
}


@pytest.fixture
def admin(make_user):
    return make_user("administrator", "hq")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["director", "branch_manager", "sales_manager", "salesperson", "service_agent"]
)
def test_only_administrators_manage_definitions(client, make_user, role):
    field = custom_field(None, 1)
    client.force_login(make_user(role, "a1"))
    for url in (
        reverse("system:customfield_list"),
        reverse("system:customfield_add"),
        reverse("system:customfield_order"),
        reverse("system:customfield_detail", args=[field.pk]),
        reverse("system:customfield_edit", args=[field.pk]),
        "/api/customfields/",
        f"/api/customfields/{field.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "字段1" not in response.content.decode()
    assert client.post(reverse("system:customfield_add"), ADD).status_code == 403
    assert client.post(reverse("system:customfield_move", args=[field.pk])).status_code == 403
    assert client.post(reverse("system:customfield_delete", args=[field.pk])).status_code == 403
    assert client.delete(f"/api/customfields/{field.pk}/").status_code == 403
    assert CustomField.objects.filter(pk=field.pk).exists()
    assert not CustomField.objects.filter(code="source_channel").exists()


@pytest.mark.django_db
def test_logged_out_is_sent_to_login(client):
    response = client.get(reverse("system:customfield_order"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_admin_defines_edits_and_deactivates_a_choice_field(client, admin):
    client.force_login(admin)
    response = client.post(reverse("system:customfield_add"), ADD)
    assert response.status_code == 302, response.content.decode()[:3000]
    field = CustomField.objects.get(code="source_channel")
    assert field.choices == [
        {"code": "wechat", "label_zh": "微信", "label_en": "WeChat"},
        {"code": "expo", "label_zh": "展会", "label_en": "Trade show"},
    ]
    assert field.order == 10 and field.show_in_list and field.filterable
    detail = client.get(response["Location"]).content.decode()
    assert "wechat — 微信 / WeChat" in detail
    edit = client.get(reverse("system:customfield_edit", args=[field.pk])).content.decode()
    assert "wechat | 微信 | WeChat" in edit
    data = {**ADD, "label_zh": "来源渠道", "code": "renamed", "version": field.version}
    data.pop("is_active")
    response = client.post(reverse("system:customfield_edit", args=[field.pk]), data)
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.label_zh == "来源渠道" and not field.is_active
    assert field.code == "source_channel"  # fixed once created
    assert definitions(Customer) == []
    assert definitions(Customer, include_inactive=True)[0].label_zh == "来源渠道"
    changes = AuditLog.for_object(field).filter(action="update").first().changes
    assert changes["label_zh"] == ["客户来源渠道", "来源渠道"]


@pytest.mark.django_db
def test_bad_definitions_are_refused_with_field_messages(client, admin):
    client.force_login(admin)
    custom_field(None, 1, code="source_channel")
    duplicate = client.post(reverse("system:customfield_add"), ADD)
    assert duplicate.status_code == 200
    # the same code on another object type is fine
    ok = client.post(reverse("system:customfield_add"), {**ADD, "object_type": "customers.contact"})
    assert ok.status_code == 302
    cases = {
        "choices_text": {**ADD, "code": "no_choices", "choices_text": ""},
        "choices_text ": {**ADD, "code": "bad_choice", "choices_text": "展会 | 展会\na b | x"},
        "default_text": {**ADD, "code": "bad_default", "default_text": "fax"},
        "code": {**ADD, "code": "有中文"},
        "object_type": {**ADD, "code": "not_opted_in", "object_type": "system.holiday"},
        "max_value": {
            **ADD,
            "code": "bad_range",
            "kind": "number",
            "min_value": "10",
            "max_value": "1",
        },
    }
    for name, data in cases.items():
        response = client.post(reverse("system:customfield_add"), data)
        assert response.status_code == 200, name
        errors = response.context["form"].errors
        assert errors.get(name.strip()), (name, errors)
    assert set(CustomField.objects.values_list("code", flat=True)) == {"source_channel"}


@pytest.mark.django_db
def test_default_value_is_typed_and_prefills_new_records(client, admin):
    client.force_login(admin)
    data = {**ADD, "default_text": "展会"}
    assert client.post(reverse("system:customfield_add"), data).status_code == 302
    assert CustomField.objects.get(code="source_channel").default == "expo"
    number = {
        **ADD,
        "code": "budget",
        "kind": "number",
        "choices_text": "",
        "default_text": "1,500",
    }
    assert client.post(reverse("system:customfield_add"), number).status_code == 302
    assert CustomField.objects.get(code="budget").default == 1500
    form = CustomerForm(user=admin)
    assert form.initial["custom__source_channel"] == "expo"


@pytest.mark.django_db
def test_api_manages_definitions(client, admin):
    client.force_login(admin)
    created = client.post(
        "/api/customfields/",
        {
            "object_type": "customers.customer",
            "code": "budget",
            "label_zh": "年度预算",
            "kind": "number",
            "min_value": "0",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    renamed = client.patch(
        f"/api/customfields/{pk}/",
        {"code": "other", "version": created.json()["version"]},
        content_type="application/json",
    )
    assert renamed.status_code == 400 and "code" in renamed.json()
    bad = client.post(
        "/api/customfields/",
        {"object_type": "customers.customer", "code": "c", "label_zh": "渠道", "kind": "choice"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "choices" in bad.json()
    assert client.delete(f"/api/customfields/{pk}/").status_code == 204


@pytest.mark.django_db
def test_order_page_moves_fields(client, admin):
    a = custom_field(None, 1)
    b = custom_field(None, 2)
    c = custom_field(None, 3)
    client.force_login(admin)
    page = client.get(reverse("system:customfield_order")).content.decode()
    assert page.index("字段1") < page.index("字段2") < page.index("字段3")
    response = client.post(reverse("system:customfield_move", args=[c.pk]), {"direction": "up"})
    assert response.status_code == 302
    assert [d.code for d in definitions(Customer)] == ["field_1", "field_3", "field_2"]
    move_custom_field(field=a, up=False)
    assert [d.code for d in definitions(Customer)] == ["field_3", "field_1", "field_2"]
    move_custom_field(field=CustomField.objects.get(pk=c.pk), up=True)  # already first
    assert [d.code for d in definitions(Customer)] == ["field_3", "field_1", "field_2"]
    assert AuditLog.for_object(b).filter(action="update").exists()


@pytest.mark.django_db
def test_changes_are_announced_after_commit(django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, object_type, code, **kwargs):
        seen.append((object_type, code))

    definitions_changed.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            custom_field(None, 1)
        assert seen == []  # nothing before the commit
        for callback in callbacks:
            callback()
        assert ("customers.customer", "field_1") in seen
    finally:
        definitions_changed.disconnect(receiver)


@pytest.mark.django_db
def test_definitions_are_cached_and_invalidated(admin):
    field = custom_field(None, 1, label_zh="旧名字")
    with translation.override("zh-hans"):
        assert definitions(Customer)[0].label() == "旧名字"  # loads the cache
        CustomerForm(user=admin)  # and the dictionaries and the admin's access
        with CaptureQueriesContext(connection) as ctx:
            for _ in range(5):
                definitions(Customer)
                CustomerForm(user=admin)
        assert len(ctx.captured_queries) == 0, ctx.captured_queries
        field.label_zh = "新名字"
        save_custom_field(field=field)
        assert definitions(Customer)[0].label() == "新名字"
        assert CustomerForm(user=admin).fields["custom__field_1"].label == "新名字"
        CustomField.objects.filter(pk=field.pk).delete()
        assert definitions(Customer) == []


@pytest.mark.django_db
def test_stale_definition_edit_is_refused(client, admin):
    field = custom_field(None, 1)
    client.force_login(admin)
    other = CustomField.objects.get(pk=field.pk)
    other.label_zh = "别人改的"
    save_custom_field(field=other)
    data = {
        **ADD,
        "object_type": field.object_type,
        "code": field.code,
        "kind": "text",
        "choices_text": "",
        "label_zh": "我改的",
        "version": 1,
    }
    response = client.post(reverse("system:customfield_edit", args=[field.pk]), data)
    assert response.status_code == 200
    assert "其他人" in response.content.decode()
    assert CustomField.objects.get(pk=field.pk).label_zh == "别人改的"
    stale = client.patch(
        f"/api/customfields/{field.pk}/",
        {"label_zh": "接口改的", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
