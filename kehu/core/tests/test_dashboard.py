"""The home dashboard's card registry, the error pages, and the readable history and audit."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from kehu.core.context import acting_as
from kehu.core.models import AuditLog
from kehu.core.registry import (
    DashboardCard,
    dashboard_cards,
    register_dashboard_card,
    registry,
)
from kehu.customers.models import Customer
from kehu.customers.tests.factories import customer


def lang(client, code: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code


@pytest.fixture
def extra_card():
    """A card a later module would add (removed again after the test)."""
    card = register_dashboard_card(
        DashboardCard(
            key="test-deals",
            title="Deals closing",
            render=lambda request: f"<p id='deals-body'>deals of {request.user.username}</p>",
            order=5,
            perm="customers.view_customer",
            size="sm",
        )
    )
    yield card
    registry.dashboard_cards.pop(card.key, None)


@pytest.mark.django_db
def test_a_registered_card_shows_for_users_with_its_permission(client, make_user, extra_card):
    seller = make_user("salesperson", "a1")
    nobody = make_user(None, "a1")
    assert extra_card in dashboard_cards(seller)
    assert extra_card not in dashboard_cards(nobody)
    client.force_login(seller)
    home = client.get(reverse("core:home")).content.decode()
    card_url = reverse("core:dashboard_card", args=["test-deals"])
    assert card_url in home  # lazy: the page holds its frame, the card loads itself
    keys = [c.key for c in dashboard_cards(seller)]
    assert keys.index("test-deals") < keys.index("my-day")  # by order
    body = client.get(card_url).content.decode()
    assert "deals of" in body and seller.username in body and 'data-card="test-deals"' in body
    client.force_login(nobody)
    assert card_url not in client.get(reverse("core:home")).content.decode()
    assert client.get(card_url).status_code == 403
    assert client.get(reverse("core:dashboard_card", args=["no-such-card"])).status_code == 404


def test_a_card_needs_a_template_or_a_render_callable():
    with pytest.raises(ValueError):
        register_dashboard_card(DashboardCard(key="empty", title="Empty"))
    assert "empty" not in registry.dashboard_cards


@pytest.mark.django_db
def test_a_card_with_nothing_for_the_user_is_left_out(client, make_user):
    card = register_dashboard_card(
        DashboardCard(key="test-none", title="None", template="x.html", context=lambda r: None)
    )
    try:
        client.force_login(make_user("salesperson", "a1"))
        response = client.get(reverse("core:dashboard_card", args=["test-none"]))
        assert response.status_code == 200 and response.content == b""
    finally:
        registry.dashboard_cards.pop(card.key)


@pytest.mark.django_db
def test_the_home_page_is_my_day_not_object_counts(client, make_user):
    client.force_login(make_user("salesperson", "a1"))
    lang(client, "en")
    html = client.get(reverse("core:home")).content.decode()
    assert "My day" in html
    for key in ("my-day", "promises", "care", "recent"):
        assert f'data-card="{key}"' in html
    assert 'data-card="team"' not in html  # own records only: no team card
    assert "home-chart" not in html
    assert 'data-card="reminders"' in html and "Nothing to remind you of." in html


@pytest.mark.django_db
def test_recent_records_lists_what_the_user_opened_and_edited_in_scope(
    client, make_user, admin_user
):
    seller = make_user("salesperson", "a1")
    colleague = make_user("salesperson", "a2")
    client.force_login(seller)
    url = reverse("core:dashboard_card", args=["recent"])
    lang(client, "en")
    assert "The records you open or edit" in client.get(url).content.decode()
    mine = customer(seller, 1, name="最近打开的客户")
    with acting_as(seller):
        edited = customer(seller, 2, name="刚刚新建的客户")
    theirs = customer(colleague, 3, name="别人的客户")
    client.get(reverse("customers:customer_detail", args=[mine.pk]))
    html = client.get(url).content.decode()
    assert "最近打开的客户" in html and "刚刚新建的客户" in html and "别人的客户" not in html
    assert html.index("最近打开的客户") < html.index("刚刚新建的客户")  # viewed this session first
    # once out of the user's scope, a record leaves the list
    from kehu.customers import actions

    with acting_as(admin_user):
        actions.transfer_customers(customers=[mine], owner=colleague, user=admin_user)
    assert "最近打开的客户" not in client.get(url).content.decode()
    assert edited.pk and theirs.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "title", "home"), [("zh-hans", "页面不存在", "首页"), ("en", "Page not found", "Home")]
)
def test_an_unknown_url_answers_a_localised_404_page_with_navigation(
    client, make_user, code, title, home
):
    lang(client, code)
    client.force_login(make_user("salesperson", "a1"))
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert title in html and home in html
    assert f'lang="{code}"' in html
    assert 'href="/"' in html and reverse("core:search") in html  # the way back
    assert "navbar" in html  # the site's layout


@pytest.mark.django_db
def test_the_404_page_for_a_visitor_offers_the_login(client):
    lang(client, "en")
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert reverse("core:login") in response.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_a_server_error_answers_a_localised_500_page(client, make_user, monkeypatch):
    from kehu.core import site_views

    def boom(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(site_views, "_card_html", lambda request, card: boom(request))
    client.raise_request_exception = False
    client.force_login(make_user("salesperson", "a1"))
    lang(client, "zh-hans")
    response = client.get(reverse("core:dashboard_card", args=["recent"]))
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器出错" in html and 'href="/"' in html


@pytest.mark.django_db
def test_the_500_page_stands_alone_when_the_layout_cannot_be_drawn(rf, monkeypatch):
    from kehu.core import site_views

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(site_views, "render", broken)
    response = site_views.server_error(rf.get("/"))
    assert response.status_code == 500 and b"500" in response.content


# --- History and audit -----------------------------------------------------------------------


@pytest.fixture
def changed_customer(make_user, admin_user):
    from kehu.core.registry import get_object_type

    seller = make_user("salesperson", "a1", display_name="王小明")
    other = make_user("salesperson", "a1", display_name="李四")
    with acting_as(admin_user):
        cust = customer(seller, 1, name="历史客户")
        ot = get_object_type(Customer)
        ot.actions.update(
            user=admin_user,
            obj=cust,
            data={
                "lifecycle_stage": "decline",
                "registered_on": datetime.date(2020, 5, 1),
                "owner": other,
                "credit_limit": 5000,
            },
            version=cust.version,
        )
        AuditLog.record(
            admin_user,
            AuditLog.Action.EXPORT,
            {"object_type": "customers.customer", "format": "xlsx", "rows": 3, "filters": {}},
        )
    return cust


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "stage", "old_stage", "owner", "credit"),
    [
        ("en", "Lifecycle stage</span>: <del>Prospect</del>", "Decline", "Owner", "Credit limit"),
        ("zh-hans", "生命周期阶段</span>: <del>考察期</del>", "衰退期", "负责人", "信用额度"),
    ],
)
def test_the_history_card_shows_labels_not_codes(
    client, admin_user, changed_customer, code, stage, old_stage, owner, credit
):
    lang(client, code)
    client.force_login(admin_user)
    html = client.get(reverse("customers:customer_detail", args=[changed_customer.pk]))
    html = html.content.decode()
    history = html[html.index("audit-history") :]
    assert stage in history and old_stage in history
    assert f"{owner}</span>: <del>王小明</del>" in history and "李四" in history
    assert f"{credit}</span>: <del>0.00</del>" in history
    assert "5,000.00" in history or "5000.00" in history
    assert "2020-05-01" in history
    text = re.sub(r"<[^>]+>", "", history)  # what the reader sees
    for raw in ("lifecycle_stage", "prospect", "owner_id", "T00:", "0.000000"):
        assert raw not in text


@pytest.mark.django_db
def test_the_audit_page_reads_events_as_facts_and_diffs_as_labels(
    client, admin_user, changed_customer
):
    lang(client, "en")
    client.force_login(admin_user)
    html = client.get(reverse("core:audit_log")).content.decode()
    assert "Format</span>: <span" in html and "xlsx" in html
    assert "x →" not in html and "c → u" not in html  # no string iterated as a pair
    assert 'Record type</span>: <span class="text-body">Customers' in html
    assert "Lifecycle stage" in html and "lifecycle_stage:" not in re.sub(r"<[^>]+>", "", html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "roles_line", "filters_line"),
    [
        (
            "en",
            "Roles: Salesperson → Sales manager, Salesperson",
            "Filters: Lifecycle stage: Prospect; Owner: 王小明; Sort: Name ↓",
        ),
        (
            "zh-hans",
            "角色: 销售代表 → 销售经理, 销售代表",
            "筛选条件: 生命周期阶段: 考察期; 负责人: 王小明; 排序: 名称 ↓",
        ),
    ],
)
def test_role_changes_and_export_filters_read_as_names_and_labels(
    client, admin_user, make_user, roles, code, roles_line, filters_line
):
    """A permission entry's roles are the roles' names, not their codes (``salesperson``); an
    export's "filters" fact names the list's filters and their values, not the query keys."""
    from django.utils import translation

    from kehu.core.history import readable_changes
    from kehu.system.actions import save_employee

    seller = make_user("salesperson", "a1", display_name="王小明")
    with acting_as(admin_user):
        save_employee(employee=seller, roles=[roles["salesperson"], roles["sales_manager"]])
        AuditLog.record(
            admin_user,
            AuditLog.Action.EXPORT,
            {
                "object_type": "customers.customer",
                "format": "csv",
                "rows": 1,
                "filters": {
                    "lifecycle_stage": "prospect",
                    "owner": str(seller.pk),
                    "sort": "-name",
                },
            },
        )
    with translation.override(code):
        granted = AuditLog.objects.get(action=AuditLog.Action.PERMISSION, object_id=str(seller.pk))
        lines = [str(line) for line in readable_changes(granted, admin_user)]
        assert roles_line in lines
        export = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("pk")
        text = "; ".join(str(line) for line in readable_changes(export, admin_user))
        assert filters_line in text
        assert "lifecycle_stage" not in text and "salesperson" not in " ".join(lines)
    lang(client, code)
    client.force_login(admin_user)
    for action in ("permission", "export"):
        page = client.get(reverse("core:audit_log"), {"action": action}).content.decode()
        page = re.sub(r"<[^>]+>", "", page)
        assert "sales_manager" not in page and "lifecycle_stage" not in page


@pytest.mark.django_db
def test_the_audit_page_filters_by_user_action_type_and_dates(client, admin_user, changed_customer):
    client.force_login(admin_user)
    url = reverse("core:audit_log")
    page = client.get(url, {"action": "export"})
    assert [e.action for e, _lines in page.context["rows"]] == ["export"]
    page = client.get(url, {"type": "customers.customer", "action": "update"})
    rows = page.context["rows"]
    assert rows and {e.object_id for e, _l in rows} == {str(changed_customer.pk)}
    page = client.get(url, {"user": admin_user.pk, "type": "customers.customer"})
    assert {e.user_id for e, _l in page.context["rows"]} == {admin_user.pk}
    today = datetime.date.today()
    assert client.get(url, {"date_from": today - datetime.timedelta(days=1)}).context["rows"]
    assert not client.get(url, {"date_to": today - datetime.timedelta(days=2)}).context["rows"]
    assert client.get(url, {"date_from": "9999-01-01"}).status_code == 400
    assert client.get(url, {"type": "nope.nope"}).status_code == 400


@pytest.mark.django_db
def test_the_audit_page_is_paginated(client, admin_user, make_user, monkeypatch):
    from kehu.core import site_views

    monkeypatch.setattr(site_views, "AUDIT_PAGE", 3)
    seller = make_user("salesperson", "a1")
    for n in range(7):
        customer(seller, n + 1)
    client.force_login(admin_user)
    url = reverse("core:audit_log")
    expected = list(AuditLog.objects.values_list("pk", flat=True))  # -timestamp, -id
    r = client.get(url)
    seen = [e.pk for e, _l in r.context["rows"]]
    assert len(seen) == 3
    while r.context["next_url"]:
        r = client.get(url + r.context["next_url"])
        seen += [e.pk for e, _l in r.context["rows"]]
    assert seen == expected
    back = client.get(url + r.context["prev_url"])
    assert len(back.context["rows"]) == 3


@pytest.mark.django_db
def test_the_audit_page_keeps_the_trail_s_data_permissions(client, make_user):
    """A branch manager reads the entries of their branch's records only
    (``AuditLog.objects.visible_to``): no filter (type, person) brings in another branch's."""
    manager = make_user("branch_manager", "a")
    assert manager.has_perm("system.view_audit")
    near_owner = make_user("salesperson", "a1")
    outsider = make_user("salesperson", "b")
    with acting_as(near_owner):
        near = customer(near_owner, 8, name="本地客户")
    with acting_as(outsider):
        far = customer(outsider, 9, name="外地客户")
    client.force_login(manager)
    url = reverse("core:audit_log")
    for params in ({}, {"type": "customers.customer"}, {"action": "create"}):
        page = client.get(url, params)
        assert page.status_code == 200
        ids = {e.object_id for e, _l in page.context["rows"] if e.content_type.model == "customer"}
        assert str(near.pk) in ids and str(far.pk) not in ids
    # the person filter offers only the employees in the manager's scope
    assert client.get(url, {"user": outsider.pk}).status_code == 400
