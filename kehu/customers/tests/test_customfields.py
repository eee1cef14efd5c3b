"""Custom fields on customers and contacts: forms, detail pages, list columns and filters, the
API, export, search, import helpers, audit, and what changing a definition does to values.
Runs on SQLite and PostgreSQL (the JSON filters differ underneath)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kehu.core.customfields import (
    clean_custom_values,
    coerce_custom_value,
    custom_field_targets,
    custom_search_text,
    definition,
)
from kehu.core.models import AuditLog
from kehu.customers.models import Contact, Customer
from kehu.system.actions import save_custom_field
from kehu.system.models import CustomField
from kehu.system.tests.factories_customfields import custom_field

from .factories import contact as make_contact
from .factories import customer as make_customer

CHANNELS = [
    {"code": "wechat", "label_zh": "微信", "label_en": "WeChat"},
    {"code": "expo", "label_zh": "展会", "label_en": "Trade show"},
    {"code": "web", "label_zh": "官网", "label_en": "Website"},
]


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


@pytest.fixture
def fields(db):
    """A text, number, date and choice field on customers; a yes/no field on contacts."""
    return {
        "channel": custom_field(
            None,
            code="channel",
            label_zh="客户来源渠道",
            label_en="Source channel",
            kind="choice",
            choices=CHANNELS,
            show_in_list=True,
            filterable=True,
            searchable=True,
        ),
        "budget": custom_field(
            None,
            code="budget",
            label_zh="年度预算",
            label_en="Annual budget",
            kind="number",
            min_value=0,
            max_value=100000000,
            filterable=True,
            show_in_list=True,
        ),
        "visit": custom_field(
            None,
            code="first_visit",
            label_zh="首次拜访",
            label_en="First visit",
            kind="date",
            filterable=True,
        ),
        "wechat": custom_field(
            None,
            code="wechat_id",
            label_zh="微信号",
            label_en="WeChat ID",
            kind="text",
            filterable=True,
            searchable=True,
        ),
        "tags": custom_field(
            None,
            code="tags",
            label_zh="标签",
            label_en="Tags",
            kind="multichoice",
            choices=CHANNELS,
        ),
        "vip": custom_field(
            None,
            object_type="customers.contact",
            code="decision_maker",
            label_zh="决策人",
            label_en="Decision maker",
            kind="boolean",
            filterable=True,
        ),
    }


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def with_values(owner, n, name=None, **custom) -> Customer:
    kw = {"name": name} if name else {}
    return make_customer(owner, n, custom=custom, **kw)


# Validation ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_validation_names_each_bad_field_in_the_users_language(fields):
    bad = {"channel": "fax", "budget": "lots", "first_visit": "31/02/2026", "nope": 1}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        clean_custom_values(Customer, bad)
    errors = exc.value.message_dict
    assert set(errors) == {"channel", "budget", "first_visit", "nope"}
    assert "fax is not one of the available choices" in errors["channel"][0]
    assert errors["budget"] == ["Enter a number."]
    assert errors["first_visit"] == ["Enter a valid date."]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        clean_custom_values(Customer, {"channel": "fax", "budget": "lots", "first_visit": "x"})
    errors = exc.value.message_dict
    assert "不在可选范围内" in errors["channel"][0]
    assert errors["budget"] == ["请输入数字。"]
    assert errors["first_visit"] == ["请输入有效的日期。"]


@pytest.mark.django_db
def test_required_range_merge_and_normalisation(fields):
    fields["channel"].required = True
    save_custom_field(field=fields["channel"])
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        clean_custom_values(Customer, {"budget": -1}, creating=True)
    assert "必填" in exc.value.message_dict["channel"][0]
    assert exc.value.message_dict["budget"] == ["请确保该值大于或等于 0。"]
    values = clean_custom_values(
        Customer,
        {"budget": "1500.50", "first_visit": datetime.date(2026, 3, 1), "tags": ["web", "web"]},
        existing={"channel": "expo", "wechat_id": "old"},
    )
    assert values == {
        "channel": "expo",  # kept: not given
        "wechat_id": "old",
        "budget": 1500.5,
        "first_visit": "2026-03-01",
        "tags": ["web"],
    }
    cleared = clean_custom_values(Customer, {"wechat_id": ""}, existing=values)
    assert "wechat_id" not in cleared and cleared["budget"] == 1500.5


@pytest.mark.django_db
def test_model_full_clean_checks_changed_values(manager, fields):
    customer = with_values(manager, 1, channel="expo")
    customer.custom = {**customer.custom, "budget": "abc"}
    with pytest.raises(ValidationError) as exc:
        customer.full_clean()
    assert "年度预算" in exc.value.message_dict["custom"][0] or "Annual budget" in str(exc.value)


# Forms and pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_form_round_trip_detail_and_audit(client, manager, fields):
    client.force_login(manager)
    page = client.get(reverse("customers:customer_add")).content.decode()
    assert 'name="custom__channel"' in page and "客户来源渠道" in page
    response = client.post(
        reverse("customers:customer_add"),
        {
            "name": "自定义字段客户",
            "kind": "company",
            "credit_limit": "0",
            "registered_on": "2026-01-05",
            "custom__channel": "wechat",
            "custom__budget": "250000",
            "custom__first_visit": "2026-02-03",
            "custom__wechat_id": "kehu_001",
            "custom__tags": ["expo", "web"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    customer = Customer.objects.get(name="自定义字段客户")
    assert customer.custom == {
        "channel": "wechat",
        "budget": 250000,
        "first_visit": "2026-02-03",
        "wechat_id": "kehu_001",
        "tags": ["expo", "web"],
    }
    detail = client.get(response["Location"]).content.decode()
    assert "客户来源渠道" in detail and "微信" in detail and "2026-02-03" in detail
    english(client)
    detail = client.get(response["Location"]).content.decode()
    assert "Source channel" in detail and "WeChat" in detail and "Trade show, Website" in detail

    edit = client.get(reverse("customers:customer_edit", args=[customer.pk])).content.decode()
    assert 'value="kehu_001"' in edit
    data = {
        "name": customer.name,
        "number": customer.number,
        "kind": "company",
        "credit_limit": "0",
        "registered_on": "2026-01-05",
        "version": customer.version,
        "custom__channel": "expo",
        "custom__budget": "250000",
        "custom__first_visit": "2026-02-03",
        "custom__wechat_id": "",
        "custom__tags": ["expo", "web"],
    }
    assert (
        client.post(reverse("customers:customer_edit", args=[customer.pk]), data).status_code == 302
    )
    customer.refresh_from_db()
    assert customer.custom["channel"] == "expo" and "wechat_id" not in customer.custom
    entry = AuditLog.for_object(customer).filter(action="update").first()
    assert entry.changes["custom.channel"] == ["wechat", "expo"]
    assert entry.changes["custom.wechat_id"] == ["kehu_001", None]
    assert "custom" not in entry.changes and "custom.budget" not in entry.changes
    created = AuditLog.for_object(customer).get(action="create")
    assert created.changes["custom.budget"] == [None, 250000]

    # bad values: the form names the field, nothing is saved
    data["version"] = customer.version
    data["custom__budget"] = "-5"
    bad = client.post(reverse("customers:customer_edit", args=[customer.pk]), data)
    assert bad.status_code == 200
    assert "Ensure this value is greater than or equal to 0" in bad.content.decode()
    customer.refresh_from_db()
    assert customer.custom["budget"] == 250000


@pytest.mark.django_db
def test_stale_edit_of_custom_values_is_refused(client, manager, fields):
    customer = with_values(manager, 1, channel="expo")
    client.force_login(manager)
    other = Customer.objects.get(pk=customer.pk)
    other.custom = {**other.custom, "channel": "web"}
    other.save()
    response = client.post(
        reverse("customers:customer_edit", args=[customer.pk]),
        {
            "name": customer.name,
            "number": customer.number,
            "kind": "company",
            "credit_limit": "0",
            "registered_on": "2026-01-05",
            "version": 1,
            "custom__channel": "wechat",
        },
    )
    assert response.status_code == 200
    assert "其他人" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).custom["channel"] == "web"


@pytest.mark.django_db
def test_contact_boolean_field_form_and_filter(client, manager, fields):
    yes = make_contact(manager, 1, custom={"decision_maker": True})
    no = make_contact(manager, 2, custom={"decision_maker": False})
    make_contact(manager, 3)
    client.force_login(manager)
    api = client.get("/api/contacts/", {"custom__decision_maker": "true"}).json()
    assert [r["id"] for r in api["results"]] == [yes.pk]
    api = client.get("/api/contacts/", {"custom__decision_maker": "false"}).json()
    assert [r["id"] for r in api["results"]] == [no.pk]
    page = client.get(reverse("customers:contact_edit", args=[yes.pk])).content.decode()
    assert 'name="custom__decision_maker"' in page and "checked" in page


# List columns and filters ----------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_custom_columns_without_extra_queries(client, manager, fields):
    client.force_login(manager)
    with_values(manager, 1, channel="wechat", budget=10)
    client.get(reverse("customers:customer_list"))  # warm permissions and definitions
    counts = []
    for extra in (0, 30):
        for n in range(extra):
            with_values(manager, 100 + n, channel="expo", budget=n)
        client.get(reverse("customers:customer_list"))
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("customers:customer_list"))
        counts.append(len(ctx.captured_queries))
    html = page.content.decode()
    assert "客户来源渠道" in html and "年度预算" in html and "展会" in html
    assert counts[0] == counts[1], counts


def listed(client, params) -> set[str]:
    response = client.get(reverse("customers:customer_list"), params)
    assert response.status_code == 200
    api = client.get("/api/customers/", params)
    assert api.status_code == 200, api.content
    names = {r["name"] for r in api.json()["results"]}
    page = response.content.decode()
    assert all(name in page for name in names)
    return names


@pytest.mark.django_db
def test_filters_text_choice_number_and_date_ranges(client, manager, fields):
    with_values(manager, 1, name="甲", channel="wechat", budget=9, first_visit="2026-01-10")
    with_values(manager, 2, name="乙", channel="expo", budget=10, first_visit="2026-02-10")
    with_values(manager, 3, name="丙", channel="expo", budget=100, wechat_id="Zhang_San")
    with_values(manager, 4, name="丁", budget=1000.5, first_visit="2025-12-31")
    make_customer(manager, 5, name="戊")
    client.force_login(manager)
    assert listed(client, {"custom__channel": "expo"}) == {"乙", "丙"}
    # numbers compare as numbers (9 < 10 < 100), not as text ("100" < "9")
    assert listed(client, {"custom__budget__gte": "10"}) == {"乙", "丙", "丁"}
    assert listed(client, {"custom__budget__gte": "9.5", "custom__budget__lte": "100"}) == {
        "乙",
        "丙",
    }
    assert listed(client, {"custom__budget__lte": "1000.4"}) == {"甲", "乙", "丙"}
    assert listed(
        client, {"custom__first_visit__gte": "2026-01-01", "custom__first_visit__lte": "2026-01-31"}
    ) == {"甲"}
    assert listed(client, {"custom__first_visit__lte": "2026-01-31"}) == {"甲", "丁"}
    assert listed(client, {"custom__wechat_id": "zhang"}) == {"丙"}
    assert listed(client, {"custom__channel": "expo", "custom__budget__gte": "50"}) == {"丙"}
    # a bad value is a form error, never a database error
    assert client.get("/api/customers/", {"custom__budget__gte": "abc"}).status_code == 400
    page = client.get(reverse("customers:customer_list"), {"custom__channel": "expo"})
    assert 'name="custom__budget__gte"' in page.content.decode()


@pytest.mark.django_db
def test_only_filterable_fields_filter(client, manager, fields):
    fields["channel"].filterable = False
    save_custom_field(field=fields["channel"])
    with_values(manager, 1, name="甲", channel="wechat")
    with_values(manager, 2, name="乙", channel="expo")
    client.force_login(manager)
    names = {
        r["name"]
        for r in client.get("/api/customers/", {"custom__channel": "expo"}).json()["results"]
    }
    assert names == {"甲", "乙"}


# API -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_round_trip_merge_and_invalid_value_names_the_field(client, manager, fields):
    client.force_login(manager)
    created = client.post(
        "/api/customers/",
        {
            "name": "接口客户",
            "custom": {"channel": "web", "budget": 12.5, "first_visit": "2026-05-01"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["custom"] == {"channel": "web", "budget": 12.5, "first_visit": "2026-05-01"}
    url = f"/api/customers/{body['id']}/"
    patched = client.patch(
        url,
        {"custom": {"budget": None, "tags": ["expo"]}, "version": body["version"]},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["custom"] == {
        "channel": "web",
        "first_visit": "2026-05-01",
        "tags": ["expo"],
    }
    bad = client.patch(
        url,
        {"custom": {"channel": "fax", "first_visit": "soon", "unknown": 1}, "version": 2},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400
    errors = bad.json()["custom"]
    assert set(errors) == {"channel", "first_visit", "unknown"}
    assert "not one of the available choices" in errors["channel"][0]
    assert Customer.objects.get(pk=body["id"]).custom["channel"] == "web"
    not_object = client.patch(
        url, {"custom": ["web"], "version": 2}, content_type="application/json"
    )
    assert not_object.status_code == 400 and "custom" in not_object.json()


@pytest.mark.django_db
def test_api_create_applies_defaults_and_required(client, manager, fields):
    fields["channel"].default = "expo"
    save_custom_field(field=fields["channel"])
    fields["budget"].required = True
    save_custom_field(field=fields["budget"])
    client.force_login(manager)
    missing = client.post("/api/customers/", {"name": "缺预算"}, content_type="application/json")
    assert missing.status_code == 400
    assert "budget" in missing.json()["custom"]
    ok = client.post(
        "/api/customers/",
        {"name": "有预算", "custom": {"budget": 1}},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["custom"] == {"channel": "expo", "budget": 1}


@pytest.mark.django_db
def test_openapi_schema_describes_custom_as_an_object(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/schema/", {"format": "json"})
    if response.status_code == 404:
        pytest.skip("no schema endpoint")
    schema = response.json()
    custom = schema["components"]["schemas"]["Customer"]["properties"]["custom"]
    assert custom["type"] == "object" and "additionalProperties" in custom


# Export, search, import ------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_has_a_column_per_active_field_formula_escaped(client, manager, fields):
    with_values(manager, 1, name="导出", channel="expo", wechat_id="=HYPERLINK(1)", budget=3)
    client.force_login(manager)
    response = client.get(reverse("customers:customer_list"), {"export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for label in ("客户来源渠道", "年度预算", "首次拜访", "微信号", "标签"):
        assert label in header
    row = dict(zip(header, rows[1], strict=True))
    assert row["客户来源渠道"] == "展会"
    assert row["微信号"] == "'=HYPERLINK(1)"
    assert row["年度预算"] == "3"


@pytest.mark.django_db
def test_search_text_and_global_search(client, manager, fields):
    customer = with_values(manager, 1, name="搜索", channel="expo", wechat_id="kehu_wx_77")
    with_values(manager, 2, name="别的")
    text = custom_search_text(customer)
    assert "kehu_wx_77" in text and "展会" in text and "Trade show" in text
    client.force_login(manager)
    page = client.get(reverse("core:search"), {"q": "wx_77"}).content.decode()
    assert "搜索" in page and "别的" not in page


@pytest.mark.django_db
def test_import_helpers(fields):
    with translation.override("zh-hans"):
        assert ("custom.channel", "客户来源渠道") in custom_field_targets(Customer)
        assert custom_field_targets(Contact) == [("custom.decision_maker", "决策人")]
    channel = definition(Customer, "channel")
    assert coerce_custom_value(channel, " 展会 ") == "expo"
    assert coerce_custom_value(channel, "WeChat") == "wechat"
    assert coerce_custom_value(channel, "web") == "web"
    assert coerce_custom_value(channel, "") is None
    with pytest.raises(ValidationError):
        coerce_custom_value(channel, "传真")
    assert coerce_custom_value(definition(Customer, "tags"), "微信，官网、expo") == [
        "wechat",
        "web",
        "expo",
    ]
    budget = definition(Customer, "budget")
    assert coerce_custom_value(budget, "1,234.50") == 1234.5
    assert coerce_custom_value(budget, 7) == 7
    with pytest.raises(ValidationError):
        coerce_custom_value(budget, "-1")
    visit = definition(Customer, "first_visit")
    assert coerce_custom_value(visit, "2026/3/9") == "2026-03-09"
    assert coerce_custom_value(visit, "2026年3月9日") == "2026-03-09"
    assert coerce_custom_value(visit, datetime.datetime(2026, 3, 9, 10)) == "2026-03-09"
    with pytest.raises(ValidationError):
        coerce_custom_value(visit, "next week")
    flag = definition(Contact, "decision_maker")
    assert coerce_custom_value(flag, "是") is True
    assert coerce_custom_value(flag, "0") is False
    assert coerce_custom_value(flag, 1) is True


# Changing definitions never loses data ---------------------------------------------------------


@pytest.mark.django_db
def test_deactivate_hides_but_keeps_values(client, manager, fields):
    customer = with_values(manager, 1, channel="expo", wechat_id="keep_me")
    fields["wechat"].is_active = False
    save_custom_field(field=fields["wechat"])
    client.force_login(manager)
    detail = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "keep_me" not in detail and "微信号" not in detail
    api = client.get(f"/api/customers/{customer.pk}/").json()
    assert "wechat_id" not in api["custom"]
    # saving the form or the API leaves the hidden value alone
    patch = client.patch(
        f"/api/customers/{customer.pk}/",
        {"custom": {"channel": "web"}, "version": api["version"]},
        content_type="application/json",
    )
    assert patch.status_code == 200
    customer.refresh_from_db()
    assert customer.custom == {"channel": "web", "wechat_id": "keep_me"}
    refused = client.patch(
        f"/api/customers/{customer.pk}/",
        {"custom": {"wechat_id": "changed"}, "version": patch.json()["version"]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "wechat_id" in refused.json()["custom"]
    fields["wechat"].is_active = True
    save_custom_field(field=fields["wechat"])
    detail = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "keep_me" in detail


@pytest.mark.django_db
def test_removed_choice_stays_on_records_as_its_code(client, manager, fields):
    customer = with_values(manager, 1, channel="expo")
    fields["channel"].choices = [c for c in CHANNELS if c["code"] != "expo"]
    save_custom_field(field=fields["channel"])
    client.force_login(manager)
    detail = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "expo" in detail
    edit = client.get(reverse("customers:customer_edit", args=[customer.pk])).content.decode()
    assert '<option value="expo" selected>expo</option>' in edit
    # keeping the old value validates; choosing it anew on another record does not
    assert clean_custom_values(Customer, {"channel": "expo"}, existing={"channel": "expo"})
    with pytest.raises(ValidationError):
        clean_custom_values(Customer, {"channel": "expo"}, existing={})


@pytest.mark.django_db
def test_delete_and_kind_change_refused_while_records_hold_values(
    client, admin_user, manager, fields
):
    with_values(manager, 1, budget=5)
    client.force_login(admin_user)
    budget = fields["budget"]
    response = client.post(reverse("system:customfield_delete", args=[budget.pk]))
    assert response.status_code == 302
    assert CustomField.objects.filter(pk=budget.pk).exists()
    assert client.delete(f"/api/customfields/{budget.pk}/").status_code == 400
    budget.kind = "text"
    with pytest.raises(ValidationError) as exc:
        save_custom_field(field=budget)
    assert "kind" in exc.value.message_dict
    # no values: deleting works
    unused = fields["visit"]
    assert client.post(reverse("system:customfield_delete", args=[unused.pk])).status_code == 302
    assert not CustomField.objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db
def test_delete_with_confirmation_clears_values_audited(client, admin_user, manager, fields):
    holder = with_values(manager, 1, budget=5, channel="expo")
    other = with_values(manager, 2, channel="web")
    client.force_login(admin_user)
    url = reverse("system:customfield_delete", args=[fields["budget"].pk])
    page = client.get(url).content.decode()
    assert 'data-holding="1"' in page and 'name="clear_values"' in page
    assert client.post(url, {"clear_values": "1"}).status_code == 302
    assert not CustomField.objects.filter(code="budget").exists()
    holder.refresh_from_db()
    assert holder.custom == {"channel": "expo"} and holder.version == 2
    entry = AuditLog.for_object(holder).filter(action="update").get()
    assert entry.changes == {"custom.budget": [5, None]} and entry.user == admin_user
    other.refresh_from_db()
    assert other.version == 1 and not AuditLog.for_object(other).filter(action="update").exists()
    channel = fields["channel"].pk
    assert client.delete(f"/api/customfields/{channel}/").status_code == 400
    assert client.delete(f"/api/customfields/{channel}/?clear_values=true").status_code == 204
    other.refresh_from_db()
    assert other.custom == {}


@pytest.mark.django_db
def test_bulk_helpers_audit_custom_values_per_field(manager, fields):
    from kehu.core.actions import bulk_create_audited, bulk_delete, bulk_update_audited
    from kehu.core.records import purge_expired

    [created] = bulk_create_audited(
        Customer,
        [
            Customer(
                name="批量",
                number="BULK1",
                owner=manager,
                department=manager.department,
                custom={"channel": "web"},
            )
        ],
    )
    entry = AuditLog.for_object(created).get(action="create")
    assert entry.changes["custom.channel"] == [None, "web"] and "custom" not in entry.changes
    bulk_update_audited(Customer.objects.filter(pk=created.pk), custom={"channel": "expo"})
    entry = AuditLog.for_object(created).filter(action="update").get()
    assert entry.changes == {"custom.channel": ["web", "expo"]}
    # Customers go to the recycle bin first; the purge records the values it deletes.
    bulk_delete(Customer.objects.filter(pk=created.pk))
    assert Customer.all_objects.get(pk=created.pk).custom == {"channel": "expo"}
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    purge_expired(model=Customer, retention_days=0, now=later)
    entry = AuditLog.for_object(created).filter(action="delete").latest("pk")
    assert entry.changes["custom.channel"] == ["expo", None]


@pytest.mark.django_db
def test_multiple_choice_filter(client, manager, fields):
    fields["tags"].filterable = True
    save_custom_field(field=fields["tags"])
    with_values(manager, 1, name="甲", tags=["web", "expo"])
    with_values(manager, 2, name="乙", tags=["wechat"])
    with_values(manager, 3, name="丙")
    client.force_login(manager)
    assert listed(client, {"custom__tags": "expo"}) == {"甲"}
    assert listed(client, {"custom__tags": "wechat"}) == {"乙"}


@pytest.mark.django_db
def test_custom_filters_and_export_stay_inside_the_data_scope(client, manager, make_user, fields):
    with_values(manager, 1, name="别人的客户", channel="expo", wechat_id="secret_wx")
    outsider = make_user("sales_manager", "b")
    outsider.roles.add(*manager.roles.all())
    client.force_login(outsider)
    for params in ({"custom__channel": "expo"}, {"custom__wechat_id": "secret"}):
        page = client.get(reverse("customers:customer_list"), params).content.decode()
        assert "别人的客户" not in page
        assert client.get("/api/customers/", params).json()["results"] == []
        export = client.get(reverse("customers:customer_list"), {**params, "export": "csv"})
        assert "secret_wx" not in b"".join(export.streaming_content).decode("utf-8-sig")
    assert (
        "别人的客户" not in client.get(reverse("core:search"), {"q": "secret_wx"}).content.decode()
    )
