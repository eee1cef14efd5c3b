"""One cell rendering: the list page, the detail page and the exports show each kind of value
(choices, foreign keys, dates, money, booleans, custom fields) as they did before
``kehu.core.cells`` took it over. The expected values were captured on the code before it."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kehu.core.templatetags.kehu import cell as display
from kehu.customers.models import Customer
from kehu.customers.models.customer import level_choices
from kehu.customers.tests.factories import contact as make_contact
from kehu.customers.tests.factories import customer as make_customer
from kehu.system.tests.factories_customfields import custom_field

pytestmark = pytest.mark.django_db

CHANNELS = [
    {"code": "wechat", "label_zh": "微信", "label_en": "WeChat"},
    {"code": "expo", "label_zh": "展会", "label_en": "Trade show"},
]


@pytest.fixture
def record(make_user):
    """A customer with a value of every kind, and a contact (a boolean) of it."""
    kinds = {
        "channel": {"kind": "choice", "choices": CHANNELS},
        "tags": {"kind": "multichoice", "choices": CHANNELS},
        "budget": {"kind": "number"},
        "visit": {"kind": "date"},
        "wechat": {"kind": "text"},
        "vip": {"kind": "boolean"},
    }
    for n, (code, kw) in enumerate(kinds.items()):
        custom_field(None, n, code=code, label_en=code.title(), show_in_list=True, **kw)
    owner = make_user("sales_manager", "a1", display_name="王五")
    parent = make_customer(owner, 1, name="母公司")
    obj = make_customer(
        owner,
        2,
        number="F000100002",  # ids differ between databases: the values do not
        name="=SUM(A1)",
        parent=parent,
        kind=Customer.Kind.INDIVIDUAL,
        level=level_choices()[0][0],
        credit_limit=Decimal("1234567.5"),
        registered_on=datetime.date(2024, 3, 9),
        birthday=None,
        custom={
            "channel": "expo",
            "tags": ["wechat", "expo"],
            "budget": 2500,
            "visit": "2025-01-31",
            "wechat": "-wx",
            "vip": True,
        },
    )
    person = make_contact(
        owner, 3, customer=obj, name="赵六", mobile="13800010003", is_primary=True
    )
    return owner, obj, person


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def list_cells(client, url, pk) -> list[str]:
    rows = client.get(url).context["rows"]
    return [str(display(v)) for obj, values in rows if obj.pk == pk for v in values]


def detail_cells(client, url) -> list[str]:
    return [str(display(v)) for _label, v in client.get(url).context["fields"]]


def export_row(client, url, pk) -> list[str]:
    response = client.get(url, {"export": "csv"})
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return next(row for row in table[1:] if row[0] == pk)


def test_customer_cells_on_the_list_detail_and_export(client, record):
    owner, obj, _person = record
    client.force_login(owner)
    english(client)
    got = {
        "list": list_cells(client, reverse("customers:customer_list"), obj.pk),
        "detail": detail_cells(client, reverse("customers:customer_detail", args=[obj.pk])),
        "export": export_row(client, reverse("customers:customer_list"), obj.number),
    }
    for where in got:  # one place at a time: a failure names the list, the detail or the export
        assert got[where] == EXPECTED_CUSTOMER[where], where


def test_contact_cells_on_the_list_detail_and_export(client, record):
    owner, _obj, person = record
    client.force_login(owner)
    english(client)
    got = {
        "list": list_cells(client, reverse("customers:contact_list"), person.pk),
        "detail": detail_cells(client, reverse("customers:contact_detail", args=[person.pk])),
        "export": export_row(client, reverse("customers:contact_list"), "'=SUM(A1)"),
    }
    assert got == EXPECTED_CONTACT


def test_display_of_plain_values():
    from django.utils import translation

    translation.activate("en")
    when = timezone.make_aware(datetime.datetime(2025, 5, 6, 7, 8))
    values = [None, "", True, False, when, datetime.date(2025, 5, 6), Decimal("1234.5"), 7]
    assert [str(display(v)) for v in values] == [
        "—",
        "—",
        "Yes",
        "No",
        "2025-05-06 07:08",
        "2025-05-06",
        "1,234.50",
        "7",
    ]


# Captured on the code before kehu.core.cells (list and detail as displayed, export as CSV).
EXPECTED_CUSTOMER = {
    "list": [
        "F000100002",
        "=SUM(A1)",
        "—",
        "—",
        "A Key account",
        "Prospect",
        "上海",
        "—",
        "王五",
        "2024-03-09",
        "Trade show",
        "WeChat, Trade show",
        "2,500.00",
        "2025-01-31",
        "-wx",
        "Yes",
    ],
    "detail": [
        "F000100002",
        "=SUM(A1)",
        "—",
        "Individual",
        "—",
        "—",
        "A Key account",
        "—",
        "—",
        "—",  # source (客户来源), a dictionary field of its own
        "1,234,567.50",
        "—",
        "—",
        "—",
        "—",
        "上海",
        "—",
        "—",
        "—",
        "—",
        "2024-03-09",
        "—",
        "—",
        "王五",
        "销售一部",
        "Trade show",
        "WeChat, Trade show",
        "2,500.00",
        "2025-01-31",
        "-wx",
        "Yes",
    ],
    "export": [
        "F000100002",
        "'=SUM(A1)",
        "",
        "Individual",
        "",
        "",
        "A Key account",
        "",
        "",
        "",  # source
        "1234567.50",
        "母公司",
        "",
        "",
        "",
        "",
        "上海",
        "",
        "",
        "",
        "",
        "2024-03-09",
        "",
        "",
        "王五",
        "销售一部",
        "Trade show",
        "WeChat, Trade show",
        "2500",
        "2025-01-31",
        "'-wx",
        "Yes",
    ],
}
#: A phone number is a tap-to-call link on the page, plain text in the export.
TEL = '<a href="tel:13800010003" class="cell-link">13800010003</a>'
EXPECTED_CONTACT = {
    "list": ["赵六", "=SUM(A1)", "采购经理", "—", TEL, "—", "—"],
    "detail": [
        "=SUM(A1)",
        "赵六",
        "Unknown",
        "—",
        "—",
        "—",
        "采购经理",
        "—",
        "Yes",
        "—",
        '<a href="tel:13800010003">13800010003</a>',  # detail pages: tap to call
        "—",
        "—",
        "—",
        "—",
        "—",
        "王五",
        "销售一部",
    ],
    "export": [
        "'=SUM(A1)",
        "赵六",
        "Unknown",
        "",
        "",
        "",
        "采购经理",
        "",
        "Yes",
        "",
        "13800010003",
        "",
        "",
        "",
        "",
        "",
        "王五",
        "销售一部",
    ],
}
