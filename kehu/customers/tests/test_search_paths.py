"""Search at scale, on small data: the common-piece path (walk the newest rows, rank only the
newest candidates plus exact look-ups) and the fenced index path give the same, permission-
restricted results and paginate correctly; contacts are found by their customer's name (kept in
sync on renames); a merge's aliases find the surviving record until the merge is undone.

The thresholds are settings: the tests make them tiny so the capped paths run on a few rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.core.actions import bulk_update_audited
from kehu.core.audit import unaudited_write
from kehu.core.pagination import keyset_page
from kehu.core.search import is_common, ranked_search, search, search_condition
from kehu.customers import actions
from kehu.customers.models import Contact, Customer

from .factories import contact as make_contact
from .factories import customer as make_customer


@pytest.fixture
def tiny(settings):
    """Common = 3 matches among the newest 1,000 rows; rank only the newest 4 candidates."""
    settings.KEHU_SEARCH_PROBE_ROWS = 1000
    settings.KEHU_SEARCH_COMMON_HITS = 3
    settings.KEHU_SEARCH_CANDIDATES = 4
    return settings


@pytest.fixture
def people(make_user):
    return (
        make_user("salesperson", "a1"),
        make_user("salesperson", "b"),
        make_user("director", "hq"),
    )


@pytest.fixture
def book(people):
    """An old customer named exactly 有限, then 16 "…有限公司" alternating between two owners,
    and a few others without the piece."""
    mine, theirs, _boss = people
    exact = make_customer(mine, 1, name="有限", number="EXACT-1")
    rows = [
        make_customer(mine if i % 2 else theirs, 10 + i, name=f"城市{i}字号有限公司")
        for i in range(16)
    ]
    others = [make_customer(mine, 40 + i, name=f"张三{i}") for i in range(2)]
    return exact, rows, others


def plain(qs, query) -> list[int]:
    """What the index alone answers, newest first: the reference."""
    return list(qs.filter(search_condition(query)).order_by("-pk").values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("who", [0, 1, 2])
@pytest.mark.parametrize("query", ["有限", "有限公司", "字号有限", "张三", "C0", "zz", "城市1"])
def test_both_paths_give_the_index_answer_and_stay_restricted(tiny, people, book, who, query):
    user = people[who]
    qs = Customer.objects.visible_to(user)
    expected = plain(qs, query)
    assert list(search(qs, query).order_by("-pk").values_list("pk", flat=True)) == expected
    # nothing outside the user's data scope
    assert set(expected) <= set(qs.values_list("pk", flat=True))
    if query in ("有限", "有限公司", "字号有限"):
        assert is_common(qs, query)
    if query in ("C0", "zz", "张三"):
        assert not is_common(qs, query)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["有限", "张三"])
def test_list_pages_walk_every_match_once(tiny, people, book, query):
    _mine, _theirs, boss = people
    qs = Customer.objects.visible_to(boss)
    expected = plain(qs, query)
    seen, after = [], None
    for _ in range(20):
        page = keyset_page(search(qs, query), sort="-pk", page_size=3, after=after)
        seen += [r.pk for r in page.rows]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == expected
    assert page.count == len(expected)
    by_name = keyset_page(search(qs, query), sort="name", page_size=100)
    assert sorted(r.pk for r in by_name.rows) == sorted(expected)


@pytest.mark.django_db
def test_list_page_with_a_common_piece(client, tiny, people, book):
    mine, _theirs, _boss = people
    _exact, rows, _others = book
    client.force_login(mine)
    html = client.get(reverse("customers:customer_list"), {"q": "有限"}).content.decode()
    for row in rows:
        assert (row.name in html) == (row.owner_id == mine.pk), row.name


@pytest.mark.django_db
def test_common_query_ranks_the_newest_candidates_and_exact_lookups(tiny, people, book):
    mine, _theirs, boss = people
    exact, rows, _others = book
    hits = ranked_search(Customer.objects.visible_to(boss), "有限", limit=10)
    # the 4 newest matches plus the exact name, the exact name first
    assert [h.pk for h in hits] == [exact.pk, *[r.pk for r in reversed(rows[-4:])]]
    by_number = ranked_search(Customer.objects.visible_to(boss), "exact-1", limit=10)
    assert by_number[0].pk == exact.pk
    own = ranked_search(Customer.objects.visible_to(mine), "有限", limit=10)
    assert own[0].pk == exact.pk
    assert {h.owner_id for h in own} == {mine.pk}
    assert len(own) == 5


@pytest.mark.django_db
def test_global_search_common_piece_restricted(client, tiny, people, book):
    _mine, theirs, _boss = people
    exact, rows, _others = book
    client.force_login(theirs)
    html = client.get(reverse("core:search"), {"q": "有限"}, HTTP_HX_REQUEST="true").content
    html = html.decode()
    assert exact.name + "<" not in html
    theirs_rows = [r for r in rows if r.owner_id == theirs.pk]
    for row in theirs_rows[-4:]:
        assert row.name in html
    for row in rows:
        if row.owner_id != theirs.pk:
            assert row.name not in html


@pytest.mark.django_db
def test_rare_piece_is_fenced(people, book):
    from django.db import connection

    qs = search(Customer.objects.visible_to(people[2]), "张三")
    sql = str(qs.query)
    if connection.vendor == "postgresql":
        assert "= ANY(ARRAY(SELECT" in sql, sql
    assert len(qs) == 2


# Contacts found by their customer's name ---------------------------------------------------------


@pytest.fixture
def huawei_contacts(people):
    mine = people[0]
    huawei = make_customer(mine, 1, name="北京华为技术有限公司", mnemonic="BJHW")
    other = make_customer(mine, 2, name="上海某某贸易公司")
    at_company = make_contact(mine, 3, customer=huawei, name="王五")
    own_prefix = make_contact(mine, 4, customer=other, name="华为明")
    own_inner = make_contact(mine, 5, customer=other, name="李华为")
    return huawei, other, at_company, own_prefix, own_inner


def contacts(query: str) -> set[int]:
    return set(search(Contact.objects.all(), query).values_list("pk", flat=True))


@pytest.mark.django_db
def test_contact_found_by_its_customers_name_ranked_below_own_name(huawei_contacts):
    huawei, _other, at_company, own_prefix, own_inner = huawei_contacts
    for query in ("北京华为", "beijinghuawei", "BJHW", "华为技术", "技术"):
        assert at_company.pk in contacts(query), query
    hits = ranked_search(Contact.objects.all(), "华为")
    assert [h.pk for h in hits] == [own_prefix.pk, own_inner.pk, at_company.pk]
    assert contacts("王五 华为") == {at_company.pk}


@pytest.mark.django_db
def test_contact_list_and_global_search_find_contacts_by_company(client, people, huawei_contacts):
    mine = people[0]
    _huawei, _other, at_company, _own_prefix, _own_inner = huawei_contacts
    client.force_login(mine)
    listed = client.get(reverse("customers:contact_list"), {"q": "华为技术"}).content.decode()
    assert "王五" in listed and "华为明" not in listed
    html = client.get(reverse("core:search"), {"q": "huaweiji"}).content.decode()
    assert "王五" in html
    outsider = people[1]
    client.force_login(outsider)
    html = client.get(reverse("core:search"), {"q": "华为技术"}).content.decode()
    assert "王五" not in html


@pytest.mark.django_db
def test_contacts_follow_their_customers_rename(people, huawei_contacts):
    mine = people[0]
    huawei, other, at_company, own_prefix, own_inner = huawei_contacts
    huawei.name = "深圳腾讯科技有限公司"
    huawei.mnemonic = "SZTX"
    actions.save_customer(customer=huawei, user=mine)
    assert contacts("腾讯") == {at_company.pk}
    assert contacts("华为技术") == set()
    # queryset update
    with unaudited_write("test: search columns follow a raw update"):
        Customer.objects.filter(pk=huawei.pk).update(name="杭州阿里巴巴网络")
    assert contacts("alibaba") == {at_company.pk}
    assert contacts("腾讯") == set()
    # audited bulk update
    bulk_update_audited(Customer.objects.filter(pk=other.pk), name="小米科技")
    assert contacts("小米") == {own_prefix.pk, own_inner.pk}
    # bulk_update
    huawei.refresh_from_db()
    huawei.name = "百度在线"
    with unaudited_write("test: search columns follow a raw update"):
        Customer.objects.bulk_update([huawei], ["name"])
    assert contacts("百度") == {at_company.pk}
    # a contact moved to another customer
    other.refresh_from_db()
    at_company.customer = other
    actions.save_contact(contact=at_company, user=mine)
    assert contacts("百度") == set()
    assert contacts("小米") == {at_company.pk, own_prefix.pk, own_inner.pk}


@pytest.mark.django_db
def test_customer_save_without_rename_leaves_contacts_alone(people, huawei_contacts):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    huawei = Customer.objects.get(pk=huawei_contacts[0].pk)
    huawei.notes = "no rename"
    with CaptureQueriesContext(connection) as ctx:
        huawei.save()
    assert not [q for q in ctx.captured_queries if "customers_contact" in q["sql"]]


# Aliases after a merge ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_merged_customers_old_name_and_number_find_the_survivor_until_undo(make_user):
    manager = make_user("sales_manager", "a1")
    survivor = make_customer(manager, 1, name="北京华为技术有限公司", number="HW-1")
    loser = make_customer(manager, 2, name="华为北京分公司", number="HWBJ-7", phone="010-5555 6666")
    merge = actions.merge_customers(survivor=survivor, others=[loser], values={}, user=manager)

    def hits(query):
        return {h.pk for h in ranked_search(Customer.objects.visible_to(manager), query)}

    for query in (
        "华为北京分公司",
        "北京分公司",
        "huaweibeijing",
        "HWBJ-7",
        "hwbj7",
        "01055556666",
    ):
        assert hits(query) == {survivor.pk}, query
        assert set(search(Customer.objects.all(), query).values_list("pk", flat=True)) == {
            survivor.pk
        }, query
    assert hits("北京华为") == {survivor.pk}
    actions.undo_merge(merge=merge, user=manager)
    for query in ("北京分公司", "HWBJ-7", "01055556666"):
        assert hits(query) == {loser.pk}, query


@pytest.mark.django_db
def test_merged_contacts_old_name_finds_the_survivor_until_undo(make_user):
    manager = make_user("sales_manager", "a1")
    cust = make_customer(manager, 1)
    a = make_contact(manager, 2, customer=cust, name="王小明", mobile="13800000001")
    b = make_contact(manager, 3, customer=cust, name="王晓鸣", mobile="13900000002")
    merge = actions.merge_contacts(survivor=a, others=[b], values={}, user=manager)
    assert contacts("王晓鸣") == {a.pk}
    assert contacts("13900000002") == {a.pk}
    actions.undo_merge(merge=merge, user=manager)
    assert contacts("王晓鸣") == {b.pk}
    assert contacts("13900000002") == {b.pk}


@pytest.mark.django_db
def test_bulk_created_contacts_read_their_customers_in_one_query(people, huawei_contacts):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.core.actions import bulk_create_audited

    mine = people[0]
    huawei = huawei_contacts[0]

    def create(n: int, start: int) -> int:
        rows = [
            Contact(
                customer_id=huawei.pk,
                name=f"批量{start + i}",
                owner_id=mine.pk,
                department_id=mine.department_id,
            )
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            bulk_create_audited(Contact, rows)
        return len(ctx.captured_queries)

    assert create(2, 0) == create(8, 10)
    assert len(contacts("北京华为")) == 1 + 2 + 8


@pytest.mark.django_db
def test_postgresql_has_the_statistics_of_the_row_by_row_tests():
    from django.apps import apps
    from django.db import connection

    from kehu.core.search import is_searchable

    if connection.vendor != "postgresql":
        pytest.skip("extended statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE %s", ["%_search_scan"]
        )
        names = {row[0] for row in cursor.fetchall()}
    searchable = {m._meta.db_table for m in apps.get_models() if is_searchable(m)}
    assert {"customers_customer", "customers_contact"} <= searchable
    assert names == {f"{table}_search_scan" for table in searchable}
