"""Dictionaries (数据字典), holidays lists and the year calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from kehu.system import params as P
from kehu.system.actions import CHINA_2026_HOLIDAYS, import_holidays, save_dictionary_item
from kehu.system.models import DictionaryItem

from .test_params import fresh_cache  # noqa: F401 - autouse

REQUIRED = {
    "customer_level",
    "customer_type",
    "customer_status",
    "industry",
    "customer_source",
    "lost_reason",
}


@pytest.fixture
def admin(make_user):
    return make_user("administrator", "hq")


def test_modules_register_their_dictionaries():
    assert set(P.dictionaries) >= REQUIRED
    level = P.dictionaries["customer_level"]
    assert [code for code, *_rest in level.defaults] == ["A", "B", "C", "D"]
    for dictionary in P.dictionaries.values():
        codes = [code for code, *_rest in dictionary.defaults]
        assert len(codes) == len(set(codes)), dictionary.code
        for _code, zh, en, color in dictionary.defaults:
            assert zh and en
            assert color == "" or (color.startswith("#") and len(color) == 7)


@pytest.mark.django_db
def test_ensure_dictionaries_is_idempotent_and_keeps_admin_edits():
    DictionaryItem.objects.all().delete()  # migrate installed them; start from none
    created = P.ensure_dictionaries()
    assert created == sum(len(d.defaults) for d in P.dictionaries.values())
    a = DictionaryItem.objects.get(dictionary="customer_level", code="A")
    a.label_zh = "战略客户"
    a.is_active = False
    a.save()
    DictionaryItem.objects.get(dictionary="customer_level", code="D").delete()
    assert P.ensure_dictionaries() == 1  # only the deleted one comes back
    a.refresh_from_db()
    assert a.label_zh == "战略客户" and not a.is_active


@pytest.mark.django_db
def test_dictionary_choices_in_the_current_language_sorted_by_order():
    P.ensure_dictionaries()
    with translation.override("zh-hans"):
        assert P.dictionary_choices("customer_level")[0] == ("A", "A 重要客户")
    with translation.override("en"):
        assert [c for c, _l in P.dictionary_choices("customer_level")] == ["A", "B", "C", "D"]
        assert P.dictionary_choices("customer_level")[0] == ("A", "A Key account")
    d = DictionaryItem.objects.get(dictionary="customer_level", code="D")
    d.order = -1
    save_dictionary_item(item=d)
    assert [c for c, _l in P.dictionary_choices("customer_level")] == ["D", "A", "B", "C"]
    # An English label left empty falls back to the Chinese one.
    save_dictionary_item(
        item=DictionaryItem(dictionary="industry", code="mining", label_zh="采矿", order=999)
    )
    with translation.override("en"):
        assert P.dictionary_choices("industry")[-1] == ("mining", "采矿")
    assert P.dictionary_choices("no_such_dictionary") == []


@pytest.mark.django_db
def test_inactive_entries_are_left_out_unless_asked_for():
    P.ensure_dictionaries()
    b = DictionaryItem.objects.get(dictionary="customer_level", code="B")
    b.is_active = False
    save_dictionary_item(item=b)
    assert "B" not in dict(P.dictionary_choices("customer_level"))
    assert "B" in dict(P.dictionary_choices("customer_level", include_inactive=True))
    assert P.dictionary_colors("customer_level")["A"] == "#d62728"


@pytest.mark.django_db
def test_dictionary_choices_are_cached(django_assert_num_queries):
    P.ensure_dictionaries()
    P.dictionary_choices("industry")
    with django_assert_num_queries(0):
        assert len(P.dictionary_choices("industry")) == 11
        P.dictionary_choices("customer_source")


@pytest.mark.django_db
def test_changes_through_the_ui_and_api_reach_the_choices(client, admin):
    P.ensure_dictionaries()
    assert "vip2" not in dict(P.dictionary_choices("customer_status"))
    client.force_login(admin)
    response = client.post(
        reverse("system:dictionaryitem_add"),
        {
            "dictionary": "customer_status",
            "code": "vip2",
            "label_zh": "超级重点",
            "label_en": "Super VIP",
            "order": 5,
            "color": "#FF0000",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert dict(P.dictionary_choices("customer_status"))["vip2"] == "超级重点"
    item = DictionaryItem.objects.get(code="vip2")
    assert item.color == "#ff0000"
    response = client.patch(
        f"/api/dictionaryitems/{item.pk}/",
        {"label_zh": "特级", "version": item.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert dict(P.dictionary_choices("customer_status"))["vip2"] == "特级"
    assert client.delete(f"/api/dictionaryitems/{item.pk}/").status_code == 204
    assert "vip2" not in dict(P.dictionary_choices("customer_status"))


@pytest.mark.django_db
def test_dictionary_entry_validation(client, admin):
    P.ensure_dictionaries()
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    base = {"dictionary": "industry", "label_zh": "x", "order": 1}
    duplicate = client.post(reverse("system:dictionaryitem_add"), {**base, "code": "it"})
    assert duplicate.status_code == 200
    assert duplicate.context["form"].errors
    bad_colour = client.post(
        reverse("system:dictionaryitem_add"), {**base, "code": "ok", "color": "red"}
    )
    assert "color" in bad_colour.context["form"].errors
    unknown = client.post(
        reverse("system:dictionaryitem_add"), {**base, "code": "ok", "dictionary": "nope"}
    )
    assert "dictionary" in unknown.context["form"].errors
    api = client.post(
        "/api/dictionaryitems/",
        {**base, "code": "it"},
        content_type="application/json",
    )
    assert api.status_code == 400


@pytest.mark.django_db
def test_dictionary_list_filters_by_dictionary(client, admin):
    P.ensure_dictionaries()
    client.force_login(admin)
    page = client.get(reverse("system:dictionaryitem_list"), {"dictionary": "lost_reason"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "价格太高" in html and "制造业" not in html
    api = client.get("/api/dictionaryitems/", {"dictionary": "customer_level"}).json()
    assert sorted(row["code"] for row in api["results"]) == ["A", "B", "C", "D"]
    b = DictionaryItem.objects.get(dictionary="customer_level", code="B")
    b.is_active = False
    save_dictionary_item(item=b)
    inactive = client.get(
        "/api/dictionaryitems/", {"dictionary": "customer_level", "is_active": "0"}
    )
    assert [row["code"] for row in inactive.json()["results"]] == ["B"]
    active = client.get("/api/dictionaryitems/", {"dictionary": "customer_level", "is_active": "1"})
    assert len(active.json()["results"]) == 3


# --- holidays -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_holiday_list_and_api_filter_by_year_and_kind(client, admin):
    import_holidays(rows=CHINA_2026_HOLIDAYS)
    import_holidays(rows=[(dt.date(2025, 1, 1), "holiday", "元旦2025")])
    client.force_login(admin)
    page = client.get(reverse("system:holiday_list"), {"year": 2025})
    assert "元旦2025" in page.content.decode() and "春节" not in page.content.decode()
    api = client.get("/api/holidays/", {"year": 2026, "kind": "workday"}).json()
    assert len(api["results"]) == 6


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_calendar_marks_holidays_and_make_up_days(client, admin, language):
    import_holidays(rows=CHINA_2026_HOLIDAYS)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("system:holiday_calendar"), {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<table") == 12
    assert 'class="holiday" title="春节" data-date="2026-02-17"' in html
    assert 'class="workday" title="春节调休" data-date="2026-02-14"' in html
    assert 'class="weekend" data-date="2026-03-01"' in html
    assert 'class="" data-date="2026-03-02"' in html
    assert "?year=2027" in html and "?year=2025" in html
    # Another year, and nonsense, do not break the page.
    assert client.get(reverse("system:holiday_calendar"), {"year": "x"}).status_code == 200
    other = client.get(reverse("system:holiday_calendar"), {"year": 2031})
    assert 'class="holiday"' not in other.content.decode()
