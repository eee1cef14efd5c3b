"""Indexed customer/contact search: matching rules, index kept in sync on every write path,
data permissions per role, ranking, constant query count and the query plan on both databases."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.core.actions import bulk_create_audited, bulk_delete, bulk_update_audited
from kehu.core.audit import unaudited_write
from kehu.core.search import ranked_search, refresh_search_index, search
from kehu.customers import actions
from kehu.customers.models import Contact, Customer

from .factories import contact as make_contact
from .factories import customer as make_customer


@pytest.fixture
def rep(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def huawei(rep):
    return actions.save_customer(
        customer=Customer(
            name="北京华为技术有限公司",
            number="C00000777",
            phone="+86 10 8888-6666",
            fax="021 5555 1234",
            email="Sales@HuaWei-Tech.com",
        ),
        user=rep,
    )


def found(query: str, model=Customer) -> set[int]:
    return set(search(model.objects.all(), query).values_list("pk", flat=True))


# Matching rules ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "北京华为技术有限公司",  # full name
        "华为",  # 2-character Chinese (gram index)
        "华",  # 1 character
        "华为技术",  # Chinese substring
        "技术有限",
        "beijinghuawei",  # full pinyin
        "huawei",  # pinyin substring
        "bei jing",  # pinyin with spaces: every word must match
        "Bei Jing Hua Wei",
        "BJHW",  # initials / mnemonic, any case
        "bjhwjs",
        "hw",  # 2-letter initials
        "C00000777",  # number
        "c00000777",
        "00000777",
        "+86 10 8888-6666",  # phone as stored
        "010-88886666",  # with area code's trunk 0, no country code
        "0086 10 88886666",
        "861088886666",
        "8888 6666",
        "88886666",
        "(021) 5555-1234",  # fax
        "+86 21 55551234",
        "sales@huawei-tech.com",  # e-mail, any case
        "SALES@HUAWEI-TECH.COM",
        "huawei-tech",
        "华为 北京",  # words in any order
    ],
)
def test_customer_found_by(huawei, query):
    assert found(query) == {huawei.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["上海", "华为上海", "shanghai", "BJHWX", "13800138000", "sales@other.com", "北京 上海"],
)
def test_no_false_hits(huawei, query):
    assert found(query) == set()


@pytest.mark.django_db
def test_contact_found_by_name_pinyin_phone_email(rep, huawei):
    person = actions.save_contact(
        contact=Contact(
            customer=huawei,
            name="张伟",
            mobile="+86 138-0013-8000",
            office_phone="010 6666 7777",
            email="Zhang.Wei@Example.COM",
        ),
        user=rep,
    )
    for query in (
        "张伟",
        "张",
        "zhangwei",
        "zhang wei",
        "ZW",
        "13800138000",
        "138 0013 8000",
        "+8613800138000",
        "0086-138-0013-8000",
        "0013-8000",
        "01066667777",
        "zhang.wei@example.com",
        "ZHANG.WEI@",
    ):
        assert found(query, Contact) == {person.pk}, query


@pytest.mark.django_db
def test_latin_names_and_blank_queries(rep):
    acme = make_customer(rep, 1, name="ACME Trading (Shanghai) Co., Ltd.")
    assert found("acme trading") == {acme.pk}
    assert found("Co., Ltd.") == {acme.pk}
    assert found("Trading Shanghai") == {acme.pk}
    qs = Customer.objects.all()
    assert search(qs, "") is qs
    assert search(qs, "   ") is qs
    assert search(qs, "%") is qs  # punctuation only: no condition, the list is unchanged
    assert search(qs, "%%") is qs


# Index kept in sync ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_index_follows_save_update_and_delete(rep, huawei):
    huawei.name = "深圳腾讯计算机系统有限公司"
    huawei.mnemonic = ""
    actions.save_customer(customer=huawei, user=rep)
    assert found("华为") == set()
    assert found("beijinghuawei") == set()  # (the e-mail still says huawei)
    assert found("腾讯") == {huawei.pk}
    assert found("tengxun") == {huawei.pk}
    huawei.phone = "0755-8601 3388"
    huawei.save(update_fields=["phone"])
    assert found("075586013388") == {huawei.pk}
    assert found("88886666") == set()
    pk = huawei.pk
    huawei.delete()
    assert found("腾讯") == set()
    assert found("tengxun") == set()
    assert not Customer.objects.filter(pk=pk).exists()


@pytest.mark.django_db
def test_index_follows_bulk_paths(rep):
    objs = [
        Customer(
            name=name,
            number=f"B{i:03d}",
            phone=phone,
            owner=rep,
            department=rep.department,
        )
        for i, (name, phone) in enumerate(
            [("杭州阿里巴巴网络技术有限公司", "0571-85022088"), ("小米科技有限责任公司", "")]
        )
    ]
    ali, mi = bulk_create_audited(Customer, objs)
    assert found("阿里巴巴") == {ali.pk}
    assert found("alibaba") == {ali.pk}
    assert found("057185022088") == {ali.pk}
    assert found("小米") == {mi.pk}
    # QuerySet.update and bulk_update_audited of a searched field
    with unaudited_write("test: search columns follow a raw update"):
        Customer.objects.filter(pk=mi.pk).update(name="北京小米移动软件有限公司")
    assert found("移动软件") == {mi.pk}
    bulk_update_audited(Customer.objects.filter(pk=ali.pk), phone="+86 571 1111 2222")
    assert found("57111112222") == {ali.pk}
    assert found("85022088") == set()
    # bulk_update of a searched field
    ali.refresh_from_db()
    ali.name = "蚂蚁科技集团"
    with unaudited_write("test: search columns follow a raw update"):
        Customer.objects.bulk_update([ali], ["name"])
    assert found("蚂蚁") == {ali.pk}
    assert found("阿里") == set()
    # bulk delete
    bulk_delete(Customer.objects.filter(pk__in=[ali.pk, mi.pk]))
    assert found("蚂蚁") == set()
    assert found("小米") == set()


@pytest.mark.django_db
def test_refresh_rebuilds_after_raw_writes(rep, huawei):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET name = %s WHERE id = %s", ["南京熊猫电子", huawei.pk]
        )
    assert found("熊猫") == set()  # raw SQL bypasses the model: the document is stale …
    assert refresh_search_index(Customer) == 1  # … until the search index is refreshed
    assert found("熊猫") == {huawei.pk}
    assert found("nanjing") == {huawei.pk}
    assert found("华为") == set()
    assert refresh_search_index(Customer, pks=[huawei.pk]) == 1


@pytest.mark.django_db
def test_search_columns_stay_out_of_the_audit_trail(rep, huawei):
    from kehu.core.models import AuditLog

    entries = AuditLog.for_object(huawei)
    assert entries
    for entry in entries:
        assert "search_text" not in str(entry.changes)
        assert "search_grams" not in str(entry.changes)


# Ranking and permissions -------------------------------------------------------------------------


@pytest.mark.django_db
def test_phone_with_extension_ranks_as_the_exact_number(rep):
    """010-6666 7777-801 is the number 010-6666 7777 (extension 801): searching the number puts
    it first, above a longer number that merely contains it."""
    extension = make_customer(rep, 1, name="分机客户", phone="010-6666 7777-801")
    longer = make_customer(rep, 2, name="另一客户", phone="010-6666 77771")
    for query in ("010 6666 7777", "+86 10 6666 7777"):
        hits = ranked_search(Customer.objects.all(), query)
        assert [h.pk for h in hits] == [extension.pk, longer.pk]


@pytest.mark.django_db
def test_ranking_exact_number_then_prefix_then_substring(rep):
    inner = make_customer(rep, 1, name="上海华为代理有限公司")
    prefix = make_customer(rep, 2, name="华为终端有限公司")
    exact = make_customer(rep, 3, name="华为")
    numbered = make_customer(rep, 4, name="某公司", number="HW-001")
    hits = ranked_search(Customer.objects.all(), "华为")
    assert [h.pk for h in hits] == [exact.pk, prefix.pk, inner.pk]
    phone = make_customer(rep, 5, name="电话客户", phone="021-6666 8888")
    other = make_customer(rep, 6, name="另一个", phone="021-6666 88881")
    assert [h.pk for h in ranked_search(Customer.objects.all(), "+86 21 66668888")] == [
        phone.pk,
        other.pk,
    ]
    assert [h.pk for h in ranked_search(Customer.objects.all(), "hw-001")] == [numbered.pk]


@pytest.fixture
def book(make_user):
    """One customer per role's owner in branch A/A1/A2 and B, all named alike."""
    owners = {
        "mine": make_user("salesperson", "a1"),
        "team": make_user("salesperson", "a1"),
        "sister": make_user("salesperson", "a2"),
        "branch_b": make_user("salesperson", "b"),
    }
    customers = {
        key: make_customer(user, i, name=f"宁波海天塑机{key}", phone=f"0574-8818 {i:04d}")
        for i, (key, user) in enumerate(owners.items())
    }
    for key, user in owners.items():
        make_contact(user, 10, customer=customers[key], name=f"海天联系人{key}")
    return owners, customers


ROLE_SEES = {
    ("salesperson", "a1"): {"mine"},
    ("sales_manager", "a1"): {"mine", "team"},
    ("branch_manager", "a"): {"mine", "team", "sister"},
    ("director", "hq"): {"mine", "team", "sister", "branch_b"},
    ("service_agent", "b"): {"mine", "team", "sister", "branch_b"},
}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "department"), list(ROLE_SEES))
def test_results_respect_data_permissions(client, make_user, book, role, department):
    owners, customers = book
    user = owners["mine"] if role == "salesperson" else make_user(role, department)
    expected = {customers[k].pk for k in ROLE_SEES[(role, department)]}
    for query in ("海天", "haitian", "NBHTSJ", "0574 8818"):
        hits = ranked_search(Customer.objects.visible_to(user), query, limit=50)
        assert {h.pk for h in hits} == expected, query
    client.force_login(user)
    html = client.get(reverse("core:search"), {"q": "海天"}).content.decode()
    for key, cust in customers.items():
        assert (cust.name in html) == (cust.pk in expected), key
        assert (f"海天联系人{key}" in html) == (cust.pk in expected), key
    listed = client.get(reverse("customers:customer_list"), {"q": "haitian"}).content.decode()
    for cust in customers.values():
        assert (cust.name in listed) == (cust.pk in expected)
    api = client.get("/api/customers/", {"q": "海天"}).json()
    rows = api["results"] if isinstance(api, dict) else api
    assert {r["id"] for r in rows} == expected
    api = client.get("/api/contacts/", {"q": "haitianlianxiren"}).json()
    rows = api["results"] if isinstance(api, dict) else api
    assert {r["customer"] for r in rows} == expected


@pytest.mark.django_db
def test_outsider_search_finds_nothing(client, make_user, book):
    nobody = make_user(None, "b", username="nobody")
    client.force_login(nobody)
    response = client.get(reverse("core:search"), {"q": "海天"})
    assert response.status_code == 200
    assert "宁波海天" not in response.content.decode()
    assert client.get("/api/customers/", {"q": "海天"}).status_code == 403


@pytest.mark.django_db
def test_query_count_does_not_grow_with_hits(client, make_user, book):
    owners, _customers = book
    boss = make_user("director", "hq")
    client.force_login(boss)
    url = reverse("core:search")
    client.get(url, {"q": "海天"})
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"q": "海天"})
    for i in range(12):
        make_contact(owners["mine"], 100 + i, name=f"海天新联系人{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"q": "海天"})
    assert len(many) == len(few)


# The query plan uses the index -------------------------------------------------------------------


def plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(row) for row in cursor.fetchall())
        # tiny test tables: forbid the scans that are cheaper than any index on a few rows
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(
    ("query", "sqlite_table", "pg_index"),
    [
        ("华为技术", "customers_customer_fts", "customers_customer_search_trgm"),
        ("+86 138 0013 8000", "customers_customer_fts", "customers_customer_search_trgm"),
        ("华为", "customers_customer_grams", "customers_customer_search_grams"),
    ],
)
def test_query_plan_uses_the_index(admin_user, huawei, query, sqlite_table, pg_index):
    """An administrator's search (no owner condition the planner could prefer instead). All
    records, deleted ones included: on a few rows PostgreSQL would otherwise answer "not deleted"
    from the partial unique index on the number and filter the search text afterwards."""
    qs = search(Customer.all_objects.visible_to(admin_user), query).order_by("-pk")[:10]
    text = plan(qs)
    if connection.vendor == "sqlite":
        assert f"SCAN {sqlite_table} VIRTUAL TABLE" in text, text
        assert "SCAN customers_customer " not in text + " ", text
    else:
        assert pg_index in text, text
