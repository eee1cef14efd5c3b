"""Keyset pagination walks every row exactly once in both directions; exports escape formulas."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kehu.core.audit import unaudited_write
from kehu.core.export import safe_cell
from kehu.core.models import BackgroundJob
from kehu.core.pagination import decode_cursor, keyset_page
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer


@pytest.fixture
def rows(make_user):
    owner = make_user("sales_manager", "a1")
    cities = ["上海", "北京", "上海", "广州", "上海"]  # duplicates: the id tiebreak matters
    for n in range(23):
        customer(owner, n, city=cities[n % 5], name=f"客户{n % 7}")
    return owner


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["-pk", "pk", "name", "-name", "city", "-registered_on"])
def test_keyset_walks_forward_and_back_over_every_row_once(rows, sort):
    qs = Customer.objects.all()
    field = sort.lstrip("-")
    expected = list(
        qs.order_by(sort, "pk" if not sort.startswith("-") else "-pk").values_list("pk", flat=True)
    )
    if field == "pk":
        expected = list(qs.order_by(sort).values_list("pk", flat=True))
    seen, pages, after = [], [], None
    while True:
        page = keyset_page(qs, sort=sort, page_size=5, after=after)
        pages.append(page)
        seen += [r.pk for r in page.rows]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == expected
    assert pages[0].is_first and pages[0].count == 23
    # ... and back again from the last page with "before" cursors
    back, page = [], keyset_page(qs, sort=sort, page_size=5, last=True)
    back = [r.pk for r in page.rows]
    while page.prev_cursor:
        page = keyset_page(qs, sort=sort, page_size=5, before=page.prev_cursor)
        back = [r.pk for r in page.rows] + back
    assert back == expected


def test_bad_cursor_is_ignored_not_an_error():
    assert decode_cursor("not-base64!!", "name") is None
    assert decode_cursor("", "name") is None


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("普通文本", "普通文本"),
        (None, ""),
        (5, 5),
    ],
)
def test_formula_cells_are_escaped(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.django_db
def test_csv_export_is_filtered_restricted_and_escaped(client, rows, make_user, roles):
    owner = rows
    customer(owner, 99, name='=HYPERLINK("http://evil")', city="杭州")
    client.force_login(owner)
    response = client.get(reverse("customers:customer_list"), {"export": "csv", "city": "杭州"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 2
    assert table[1][1] == '\'=HYPERLINK("http://evil")'


@pytest.mark.django_db
def test_export_needs_the_export_permission(client, make_user):
    seller = make_user("salesperson")
    client.force_login(seller)
    assert client.get(reverse("customers:customer_list"), {"export": "csv"}).status_code == 403


@pytest.mark.django_db
def test_xlsx_export_runs_as_a_job_with_a_download(
    client, rows, django_capture_on_commit_callbacks
):
    client.force_login(rows)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(
            reverse("customers:customer_list"), {"export": "xlsx", "city": "上海"}
        )
    assert response.status_code == 302
    job = BackgroundJob.objects.get()
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.message
    assert job.progress == Customer.objects.filter(city="上海").count()
    download = client.get(reverse("core:job_download", args=[job.pk]))
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    sheet = wb.worksheets[0]
    values = list(sheet.values)
    assert len(values) == job.progress + 1
    assert values[1][0].startswith("F")  # customer number column
    page = client.get(reverse("core:job_detail", args=[job.pk]))
    assert page.status_code == 200


@pytest.mark.django_db
def test_xlsx_over_the_row_limit_fails_with_a_message(
    client, rows, settings, django_capture_on_commit_callbacks
):
    settings.KEHU_XLSX_MAX_ROWS = 10
    client.force_login(rows)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("customers:customer_list"), {"export": "xlsx"})
    job = BackgroundJob.objects.get()
    assert job.status == BackgroundJob.Status.FAILED
    assert "CSV" in job.message


@pytest.mark.django_db
def test_another_users_job_is_not_reachable(client, rows, make_user):
    client.force_login(rows)
    client.get(reverse("customers:customer_list"), {"export": "xlsx"})
    job = BackgroundJob.objects.get()
    client.force_login(make_user("sales_manager", "a1"))
    assert client.get(reverse("core:job_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("core:job_download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_export_queries_do_not_grow_with_rows(client, rows, django_assert_max_num_queries):
    from kehu.customers.tests.factories import customer as make

    client.force_login(rows)
    url = reverse("customers:customer_list")
    with django_assert_max_num_queries(20) as ctx:
        b"".join(client.get(url, {"export": "csv"}).streaming_content)
    before = len(ctx.captured_queries)
    for n in range(200, 240):
        make(rows, n)
    with django_assert_max_num_queries(before):
        b"".join(client.get(url, {"export": "csv"}).streaming_content)


@pytest.mark.django_db
def test_export_rows_match_the_model_values_across_chunks(
    rows, make_user, django_assert_max_num_queries
):
    """``iter_rows`` reads plain values and related labels per chunk: the same cells as the model
    instances give (choices, owner, department, parent company), in a constant number of queries."""
    from kehu.core.export import cell_value, export_columns, export_queryset, iter_rows
    from kehu.core.registry import get_object_type

    other = make_user("salesperson", "a1", display_name="李四")
    parents = list(Customer.objects.order_by("pk")[:3])
    for n, c in enumerate(Customer.objects.order_by("pk")[3:15]):
        with unaudited_write("test set-up"):
            Customer.objects.filter(pk=c.pk).update(
                parent=parents[n % 3], owner=other if n % 2 else rows, credit_rating="AA"
            )
    ot = get_object_type("customers.customer")
    columns = export_columns(ot, rows)
    qs = export_queryset(ot, Customer.objects.visible_to(rows).order_by("pk"))
    expected = [[safe_cell(cell_value(obj, name)) for name, _label in columns] for obj in qs]
    assert any("李四" in row for row in expected) and any("AA" in str(row) for row in expected)
    with django_assert_max_num_queries(40):
        got = list(iter_rows(qs, columns, chunk_size=4))
    assert got == expected


@pytest.mark.django_db
def test_salesperson_filter_choices_show_only_their_scope(client, make_user):
    seller = make_user("salesperson", "a1", display_name="张三")
    make_user("salesperson", "b", display_name="李四")
    client.force_login(seller)
    html = client.get(reverse("customers:customer_list")).content.decode()
    assert "张三" in html and "李四" not in html
