"""System parameters: the cached accessor, validation (form, API, action), the page, the logo."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from kehu.core.audit import unaudited_write
from kehu.core.errors import StaleObjectError
from kehu.core.models import AuditLog
from kehu.system import params as P
from kehu.system.actions import update_parameters, validate_parameters
from kehu.system.models import DictionaryItem, Holiday, SystemParameters

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
WEBP = b"RIFF\x10\0\0\0WEBPVP8 " + b"\0" * 64


@pytest.fixture(autouse=True)
def fresh_cache():
    """The test cache outlives each test's rolled-back transaction: start and end empty."""
    cache.clear()
    yield
    cache.clear()


def english(client):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def set_language(client, code):
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code


@pytest.fixture
def salesperson(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def administrator(make_user):
    return make_user("administrator", "hq")


# --- accessor -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_get_params_creates_the_row_lazily_with_defaults():
    assert not SystemParameters.objects.exists()
    params = P.get_params()
    assert params.pk == 1
    assert params.currency == "CNY"
    assert params.work_start == datetime.time(9) and params.work_end == datetime.time(18)
    assert SystemParameters.objects.count() == 1
    assert P.get_params().pk == 1
    assert SystemParameters.objects.count() == 1


@pytest.mark.django_db
def test_warm_get_params_makes_no_query_and_one_cache_get(django_assert_num_queries, monkeypatch):
    P.get_params()
    P.get_params()
    with django_assert_num_queries(0):
        for _ in range(5):
            assert P.get_params().currency == "CNY"
    calls = []
    original = cache.get
    monkeypatch.setattr(cache, "get", lambda *a, **kw: calls.append(a[0]) or original(*a, **kw))
    P.get_params()
    assert calls == [P.PARAMETERS.version_key]


@pytest.mark.django_db
def test_cold_process_reads_the_shared_cache_not_the_database(django_assert_num_queries):
    P.get_params()
    P.get_params()
    P.PARAMETERS._memo = None  # as in another process that has not read the parameters yet
    with django_assert_num_queries(0):
        assert P.get_params().pk == 1


@pytest.mark.django_db
def test_update_takes_effect_at_once_and_is_audited(administrator):
    assert P.get_params().company_name == ""
    update_parameters(user=administrator, company_name="客户科技有限公司", quote_amount_decimals=4)
    assert P.get_params().company_name == "客户科技有限公司"
    assert P.amount_places("quote") == 4
    assert P.round_amount(Decimal("1.234567"), "quote") == Decimal("1.2346")
    assert P.round_amount(Decimal("1.005"), "order") == Decimal("1.01")  # half up
    log = AuditLog.objects.filter(content_type__model="systemparameters", action="update").last()
    assert log.changes["company_name"] == ["", "客户科技有限公司"]
    assert P.get_params().updated_by == administrator


@pytest.mark.django_db
def test_a_memo_is_dropped_when_another_process_bumps_the_version(administrator):
    P.get_params()
    P.get_params()
    with unaudited_write("test: behind the cache's back"):
        SystemParameters.objects.filter(pk=1).update(currency="USD")  # behind the cache's back
    assert P.get_params().currency == "CNY"  # cached
    P.PARAMETERS.bump()  # what a save in another process does
    assert P.get_params().currency == "USD"


@pytest.mark.django_db
def test_places_helpers_know_every_document(administrator):
    update_parameters(
        user=administrator,
        contract_amount_decimals=0,
        order_quantity_decimals=3,
        product_amount_decimals=6,
        quote_quantity_decimals=1,
    )
    assert P.amount_places("contract") == 0
    assert P.quantity_places("order") == 3
    assert P.amount_places("product") == 6
    assert P.quantity_places("quote") == 1
    assert P.round_amount("2.5", "contract") == Decimal("3")
    assert P.round_quantity("2.25", "quote") == Decimal("2.3")
    with pytest.raises(ValueError):
        P.amount_places("invoice")


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"quote_amount_decimals": 7}, "quote_amount_decimals"),
        ({"product_quantity_decimals": -1}, "product_quantity_decimals"),
        ({"work_start": datetime.time(18), "work_end": datetime.time(9)}, "work_end"),
        ({"work_start": datetime.time(9), "work_end": datetime.time(9)}, "work_end"),
        ({"work_weekdays": "12234"}, "work_weekdays"),
        ({"work_weekdays": "0123"}, "work_weekdays"),
        ({"work_weekdays": "18"}, "work_weekdays"),
        ({"work_weekdays": ""}, "work_weekdays"),
        ({"admin_email": "not-an-address"}, "admin_email"),
        ({"currency": "cny"}, "currency"),
        ({"currency": "RMB1"}, "currency"),
        ({"currency": "US"}, "currency"),
        ({"receivable_reminder_days": 400}, "receivable_reminder_days"),
    ],
)
def test_invalid_values_are_refused_per_field(values, field):
    with pytest.raises(ValidationError) as info:
        validate_parameters(values)
    assert field in info.value.message_dict


def test_valid_values_pass():
    validate_parameters(
        {
            "quote_amount_decimals": 0,
            "order_amount_decimals": 6,
            "work_start": datetime.time(8, 30),
            "work_end": datetime.time(17, 30),
            "work_weekdays": "123456",
            "admin_email": "admin@example.com",
            "currency": "USD",
        }
    )


@pytest.mark.django_db
def test_update_refuses_invalid_values_and_changes_nothing(administrator):
    with pytest.raises(ValidationError):
        update_parameters(user=administrator, currency="usd", company_name="X")
    assert P.get_params().company_name == ""
    # The result is validated, not only the change: a start after the stored end is refused.
    with pytest.raises(ValidationError) as info:
        update_parameters(user=administrator, work_start=datetime.time(19))
    assert "work_end" in info.value.message_dict
    with pytest.raises(ValidationError):
        update_parameters(user=administrator, no_such_parameter=1)


@pytest.mark.django_db
def test_update_refuses_a_stale_version(administrator):
    version = P.get_params().version
    update_parameters(user=administrator, version=version, company_name="A")
    with pytest.raises(StaleObjectError):
        update_parameters(user=administrator, version=version, company_name="B")
    assert P.get_params().company_name == "A"


@pytest.mark.django_db
def test_validation_messages_come_in_both_languages():
    with translation.override("en"):
        with pytest.raises(ValidationError) as info:
            validate_parameters({"currency": "rmb"})
        assert "three-letter currency code" in info.value.message_dict["currency"][0]
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as info:
            validate_parameters({"currency": "rmb"})
        # Translated once the Chinese catalogue has the string; never empty, never the code.
        assert info.value.message_dict["currency"][0]


# --- the page -----------------------------------------------------------------------------------


def page_data(**overrides):
    params = P.get_params()
    data = {
        "version": params.version,
        "company_name": params.company_name or "客户科技",
        "admin_email": params.admin_email,
        "currency": params.currency,
        "receivable_reminder_days": params.receivable_reminder_days,
        "care_reminder_days": params.care_reminder_days,
        "contract_renewal_days": params.contract_renewal_days,
        "care_suppression_days": params.care_suppression_days,
        "recycle_retention_days": params.recycle_retention_days,
        "customer_number_pattern": params.customer_number_pattern,
        "work_start": "09:00",
        "work_end": "18:00",
        "work_weekdays": list(params.work_weekdays),  # ticked boxes
    }
    for document in P.DOCUMENTS:
        data[f"{document}_amount_decimals"] = 2
        data[f"{document}_quantity_decimals"] = 2
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_page_shows_sections_and_saves(client, administrator):
    client.force_login(administrator)
    english(client)
    page = client.get(reverse("system:parameters"))
    assert page.status_code == 200
    html = page.content.decode()
    for section in ("Company", "Reminders", "Decimal places", "Working time"):
        assert section in html
    response = client.post(
        reverse("system:parameters"),
        page_data(company_name="Kehu Ltd", order_amount_decimals=3, work_weekdays=list("654321")),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert P.get_params().company_name == "Kehu Ltd"
    assert P.amount_places("order") == 3
    assert P.get_params().work_weekdays == "123456"
    page = client.get(response["Location"])
    assert "alert-success" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Enter a valid time."), ("zh-hans", "输入一个有效的时间。")],
)
def test_page_shows_errors_in_the_users_language(client, administrator, language, expected):
    client.force_login(administrator)
    set_language(client, language)
    response = client.post(
        reverse("system:parameters"),
        page_data(work_end="09:00", work_start="19:00", quote_amount_decimals=9),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "work_end" in form.errors and "quote_amount_decimals" in form.errors
    if language == "en":
        assert "The working day must end after it starts." in response.content.decode()
    # A value Django itself refuses, with its own message in the user's language.
    response = client.post(
        reverse("system:parameters"),
        page_data(work_start="25:99"),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert expected in response.content.decode()
    assert P.get_params().work_start == datetime.time(9)


@pytest.mark.django_db
def test_page_refuses_a_stale_edit(client, administrator):
    client.force_login(administrator)
    data = page_data(company_name="Mine")
    update_parameters(user=administrator, company_name="Someone else's")
    english(client)
    response = client.post(reverse("system:parameters"), data)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert P.get_params().company_name == "Someone else's"


@pytest.mark.django_db
def test_non_administrators_get_403_on_every_page_and_endpoint(client, salesperson):
    """A salesperson may read holidays and dictionaries (their role says so) but change nothing."""
    from kehu.system.tests.factories_params import dictionary_item, holiday

    P.get_params()
    h, d = holiday(None, 1), dictionary_item(None, 1)
    client.force_login(salesperson)
    assert client.get(reverse("system:parameters")).status_code == 403
    assert client.post(reverse("system:parameters"), page_data()).status_code == 403
    assert client.get("/api/parameters/").status_code == 403
    patch = client.patch("/api/parameters/", {"currency": "USD"}, content_type="application/json")
    assert patch.status_code == 403
    for name, obj in (("holiday", h), ("dictionaryitem", d)):
        assert client.get(reverse(f"system:{name}_add")).status_code == 403
        assert client.post(reverse(f"system:{name}_add"), {}).status_code == 403
        assert client.get(reverse(f"system:{name}_edit", args=[obj.pk])).status_code == 403
        assert client.post(reverse(f"system:{name}_delete", args=[obj.pk])).status_code == 403
        assert client.post(f"/api/{name}s/", {}, content_type="application/json").status_code == 403
        api = f"/api/{name}s/{obj.pk}/"
        assert client.patch(api, {}, content_type="application/json").status_code == 403
        assert client.delete(api).status_code == 403
    assert P.get_params().currency == "CNY"
    assert Holiday.objects.filter(pk=h.pk).exists()
    assert DictionaryItem.objects.filter(pk=d.pk).exists()


@pytest.mark.django_db
def test_users_without_a_role_get_403_everywhere(client, make_user):
    client.force_login(make_user(None, "a1"))
    for url in (
        reverse("system:parameters"),
        reverse("system:holiday_calendar"),
        reverse("system:holiday_list"),
        reverse("system:dictionaryitem_list"),
        "/api/parameters/",
        "/api/holidays/",
        "/api/dictionaryitems/",
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client):
    for url in (
        reverse("system:parameters"),
        reverse("system:parameters_logo"),
        reverse("system:holiday_calendar"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert client.get("/api/parameters/").status_code in (401, 403)


@pytest.mark.django_db
def test_view_only_users_see_the_page_but_cannot_save(client, make_user, roles):
    from django.contrib.auth.models import Permission

    from kehu.system.models import Role

    role = Role.objects.create(name="auditor")
    role.permissions.add(Permission.objects.get(codename="view_systemparameters"))
    user = make_user(None, "a1")
    user.roles.add(role)
    client.force_login(user)
    page = client.get(reverse("system:parameters"))
    assert page.status_code == 200
    assert 'type="submit"' not in page.content.decode().split("<main", 1)[1]
    assert client.post(reverse("system:parameters"), page_data()).status_code == 403
    assert client.get("/api/parameters/").status_code == 200
    patch = client.patch("/api/parameters/", {"currency": "USD"}, content_type="application/json")
    assert patch.status_code == 403


# --- the logo -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content"), [("l.png", PNG), ("l.jpg", JPEG), ("l.webp", WEBP)])
def test_logo_upload_and_login_only_download(client, administrator, salesperson, name, content):
    client.force_login(administrator)
    upload = SimpleUploadedFile(name, content)
    response = client.post(reverse("system:parameters"), page_data(logo=upload))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert P.get_params().logo.name.startswith("logo/")
    html = client.get(reverse("system:parameters")).content.decode()
    assert reverse("system:parameters_logo") in html
    assert "/media/" not in html  # never the public media URL
    client.force_login(salesperson)  # any logged-in user sees the logo
    logo = client.get(reverse("system:parameters_logo"))
    assert logo.status_code == 200
    assert b"".join(logo.streaming_content) == content
    assert logo["Content-Type"].startswith("image/")
    client.logout()
    assert client.get(reverse("system:parameters_logo")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.gif", b"GIF89a" + b"\0" * 20),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
        ("logo.png", b"<html><script>alert(1)</script></html>"),
        ("logo.webp", PNG),
        ("logo.png", b"\x89PNG" + b"\0" * (2 * 1024 * 1024)),
    ],
)
def test_logo_refuses_other_types_fakes_and_big_files(client, administrator, name, content):
    client.force_login(administrator)
    response = client.post(
        reverse("system:parameters"), page_data(logo=SimpleUploadedFile(name, content))
    )
    assert response.status_code == 200
    assert "logo" in response.context["form"].errors
    assert not P.get_params().logo


@pytest.mark.django_db
def test_logo_can_be_removed(client, administrator):
    update_parameters(user=administrator, logo=SimpleUploadedFile("a.png", PNG))
    assert P.get_params().logo
    client.force_login(administrator)
    response = client.post(reverse("system:parameters"), page_data(remove_logo="on"))
    assert response.status_code == 302
    assert not P.get_params().logo
    assert client.get(reverse("system:parameters_logo")).status_code == 404


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_reads_and_patches_with_version_check(client, administrator):
    client.force_login(administrator)
    body = client.get("/api/parameters/").json()
    assert body["currency"] == "CNY" and body["version"] >= 1
    ok = client.patch(
        "/api/parameters/",
        {"version": body["version"], "currency": "USD", "work_weekdays": "123456"},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["currency"] == "USD"
    assert P.get_params().currency == "USD"
    stale = client.patch(
        "/api/parameters/",
        {"version": body["version"], "currency": "EUR"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale"
    assert P.get_params().currency == "USD"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "three-letter currency code"), ("zh-hans", None)],
)
def test_api_validation_errors_in_the_users_language(client, administrator, language, expected):
    client.force_login(administrator)
    response = client.patch(
        "/api/parameters/",
        {"currency": "rmb", "quote_amount_decimals": 8, "work_start": "19:00"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    body = response.json()
    assert {"currency", "quote_amount_decimals", "work_end"} <= set(body)
    if expected:
        assert expected in body["currency"][0]
    assert P.get_params().currency == "CNY"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("en", "valid integer"), ("zh-hans", "整数")])
def test_api_type_errors_in_the_users_language(client, administrator, language, expected):
    client.force_login(administrator)
    response = client.patch(
        "/api/parameters/",
        {"quote_amount_decimals": "many"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    assert expected in response.json()["quote_amount_decimals"][0]


@pytest.mark.django_db
def test_api_refuses_unknown_or_read_only_fields_quietly(client, administrator):
    client.force_login(administrator)
    response = client.patch(
        "/api/parameters/", {"logo": "x", "id": 5}, content_type="application/json"
    )
    assert response.status_code == 200
    assert SystemParameters.objects.get().pk == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "The counter {seq:N} needs from 3 to 12 digits."), ("zh-hans", "计数器")],
)
def test_numbering_pattern_checked_in_the_users_language(client, administrator, language, expected):
    client.force_login(administrator)
    set_language(client, language)
    response = client.post(
        reverse("system:parameters"),
        page_data(customer_number_pattern="C{seq:2}"),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert "customer_number_pattern" in response.context["form"].errors
    assert expected in response.content.decode()
    response = client.post(
        reverse("system:parameters"), page_data(customer_number_pattern="KH{YYYY}-{seq:5}")
    )
    assert response.status_code == 302
    assert P.get_params().customer_number_pattern == "KH{YYYY}-{seq:5}"


@pytest.mark.django_db
def test_weekdays_are_checkboxes_and_the_company_name_may_stay_empty(client, administrator):
    client.force_login(administrator)
    english(client)
    html = client.get(reverse("system:parameters")).content.decode()
    for day, label in (("1", "Mon"), ("7", "Sun")):
        assert f'type="checkbox" name="work_weekdays" value="{day}"' in html and label in html
    assert (
        'name="work_weekdays" value="1" class="form-check-input" id="id_work_weekdays_0" checked'
        in html
    )
    assert 'type="text" name="work_weekdays"' not in html
    response = client.post(
        reverse("system:parameters"), page_data(company_name="", work_weekdays=["1", "3", "5"])
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert P.get_params().work_weekdays == "135" and P.get_params().company_name == ""
    response = client.post(reverse("system:parameters"), page_data(work_weekdays=["8"]))
    assert response.status_code == 200 and "work_weekdays" in response.context["form"].errors
