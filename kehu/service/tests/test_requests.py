"""Service requests: entitlement and priority, SLA clocks in working hours (holidays, make-up
days, the pause while waiting on the customer), the status rules, the SLA watch, permissions and
data scope, pages and API."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.customers.tests.factories import customer as make_customer
from kehu.service.actions import requests as acts
from kehu.service.actions import sla
from kehu.service.models import (
    AgentProfile,
    InstalledProduct,
    ServiceContract,
    ServiceRequest,
    SlaPolicy,
)
from kehu.service.tests.factories.requests import product

pytestmark = pytest.mark.django_db
SEQ = itertools.count(100)


@pytest.fixture(autouse=True)
def english(client):
    from django.utils import translation

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def agent(make_user):
    return make_user("service_agent", "a1")


@pytest.fixture
def rep(make_user):
    return make_user("salesperson", "a1")


def at(y, m, d, hh=10, mm=0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(y, m, d, hh, mm))


def new_request(user, cust=None, *, now=None, route=False, **kw) -> ServiceRequest:
    cust = cust or make_customer(user, next(SEQ))
    now = now or at(2026, 3, 2)  # a Monday
    req = ServiceRequest(
        customer=cust, subject=kw.pop("subject", "打印机卡纸"), created_at=now, **kw
    )
    return acts.save_request(req, user=user, route=route, now=now)


def contract(user, cust, level="gold", products=()):
    from kehu.service.actions.contracts import save_service_contract

    c = ServiceContract(
        customer=cust,
        level=level,
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    return save_service_contract(c, user=user, products=list(products))


# --- Working-hours clock ------------------------------------------------------------------------


def test_working_minutes_skip_nights_weekends_and_holidays_and_count_make_up_days(admin_user):
    from kehu.system.models import Holiday

    # Friday 17:00 + 2 working hours: 1 h on Friday, then Monday 10:00
    assert sla.add_working_minutes(at(2026, 3, 6, 17), 120) == at(2026, 3, 9, 10)
    # before opening: the clock starts at 09:00
    assert sla.add_working_minutes(at(2026, 3, 9, 7), 30) == at(2026, 3, 9, 9, 30)
    Holiday(date=datetime.date(2026, 3, 9), name="假日", kind=Holiday.Kind.HOLIDAY).save()
    assert sla.add_working_minutes(at(2026, 3, 6, 17), 120) == at(2026, 3, 10, 10)
    # a make-up working day (调休) on Saturday counts
    Holiday(date=datetime.date(2026, 3, 7), name="调休", kind=Holiday.Kind.WORKDAY).save()
    assert sla.add_working_minutes(at(2026, 3, 6, 17), 120) == at(2026, 3, 7, 10)
    # and the reverse measure agrees
    assert sla.working_minutes(at(2026, 3, 6, 17), at(2026, 3, 7, 10)) == 120


# --- Entitlement and priority --------------------------------------------------------------------


def test_contract_covering_the_product_entitles_and_raises_priority(agent):
    cust = make_customer(agent, 1)
    p = product("P-E-1")
    c = contract(agent, cust, "gold", [p])
    req = new_request(agent, cust, product=p, priority="low")
    assert req.entitlement == "contract"
    assert req.contract == c
    assert req.service_level == "gold"
    assert req.priority == "high"  # gold customers get at least high
    assert c.number in req.entitlement_note
    # another product is not covered by that contract
    other = new_request(agent, cust, product=product("P-E-2"), priority="low")
    assert other.entitlement == "none" and other.priority == "low"


def test_warranty_by_serial_number_entitles_and_finds_the_product(agent):
    cust = make_customer(agent, 2)
    p = product("P-W-1")
    InstalledProduct(
        customer=cust,
        product=p,
        serial_number="SN-001",
        installed_on=datetime.date(2025, 6, 1),
        warranty_end=datetime.date(2026, 5, 31),
        owner=agent,
        department=agent.department,
    ).save()
    req = new_request(agent, cust, serial_number=" SN-001 ", priority="low")
    assert req.entitlement == "warranty"
    assert req.product == p
    assert req.priority == "normal"
    assert "2026-05-31" in req.entitlement_note
    # after the warranty: not entitled, and the note says why
    late = new_request(agent, cust, serial_number="SN-001", now=at(2026, 6, 2))
    assert late.entitlement == "none"
    assert "ended" in late.entitlement_note


def test_complaints_are_at_least_high_priority(agent):
    req = new_request(agent, type="complaint", priority="low")
    assert req.priority == "high"


def test_sla_policy_sets_the_due_times_in_working_hours(agent):
    SlaPolicy(
        name="无合同·普通",
        level="",
        priority="normal",
        response_hours=Decimal("2"),
        resolution_hours=Decimal("10"),
    ).save()
    req = new_request(agent, now=at(2026, 3, 6, 16))  # Friday 16:00
    assert req.response_target == 120
    assert req.first_response_due == at(2026, 3, 6, 18)  # the close of Friday
    assert req.resolution_due == at(2026, 3, 9, 17)  # 2 h on Friday, 8 h on Monday
    assert req.number.startswith("SR")


# --- Status rules --------------------------------------------------------------------------------


def test_resolving_or_closing_without_resolution_notes_is_refused(agent):
    req = new_request(agent)
    for status in ("resolved", "closed"):
        with pytest.raises(ValidationError) as err:
            acts.move_request(req, status, user=agent)
        assert err.value.error_dict["resolution"][0].code == "resolution_required"
    req.refresh_from_db()
    assert req.status == "new"
    done = acts.move_request(req, "resolved", user=agent, resolution="更换了硒鼓")
    assert done.status == "resolved" and done.resolved_at is not None
    assert done.first_response_at is not None


def test_waiting_on_the_customer_pauses_the_clock(agent):
    req = new_request(agent, now=at(2026, 3, 2, 9))
    due = req.resolution_due
    acts.move_request(req, "in_progress", user=agent, now=at(2026, 3, 2, 10))
    acts.move_request(req, "waiting", user=agent, now=at(2026, 3, 2, 11))
    req.refresh_from_db()
    assert req.paused_at is not None
    assert sla.remaining_minutes(req, now=at(2026, 3, 2, 12)) is None
    # waited 11:00 → next day 11:00: 9 working hours; the due time moves by as much
    req = acts.move_request(req, "in_progress", user=agent, now=at(2026, 3, 3, 11))
    assert req.paused_minutes == 9 * 60
    assert req.resolution_due == sla.add_working_minutes(due, 9 * 60)
    assert req.paused_at is None


def test_closed_request_cannot_move_or_be_edited(agent):
    req = new_request(agent)
    acts.move_request(req, "closed", user=agent, resolution="已处理")
    req.refresh_from_db()
    with pytest.raises(ValidationError):
        acts.move_request(req, "in_progress", user=agent)
    req.subject = "改"
    with pytest.raises(ValidationError):
        acts.save_request(req, user=agent)


# --- SLA watch -----------------------------------------------------------------------------------


def test_sla_check_warns_the_agent_then_escalates_to_the_manager_once(make_user, agent):
    from kehu.core.models import Notification

    boss = make_user("branch_manager", "a1")
    agent.manager = boss
    agent.save()
    req = new_request(agent, now=at(2026, 3, 2, 9), priority="urgent")  # 4 h: due 13:00
    req.agent = agent
    req.save()
    assert req.resolution_due == at(2026, 3, 2, 13)
    counts = sla.check_sla(now=at(2026, 3, 2, 10))
    assert counts == {"warned": 0, "escalated": 0}
    counts = sla.check_sla(now=at(2026, 3, 2, 12, 30))  # 87 % used
    assert counts["warned"] == 1
    assert Notification.objects.filter(recipient=agent, kind="sla_warning").count() == 1
    assert sla.check_sla(now=at(2026, 3, 2, 12, 40))["warned"] == 0  # once
    counts = sla.check_sla(now=at(2026, 3, 2, 14))
    assert counts["escalated"] == 1
    assert Notification.objects.filter(recipient=boss, kind="sla_breached").count() == 1
    assert sla.check_sla(now=at(2026, 3, 2, 15))["escalated"] == 0
    req.refresh_from_db()
    assert req.escalated_at is not None
    # a waiting request is not chased
    acts.move_request(req, "waiting", user=agent, now=at(2026, 3, 2, 15))
    assert sla.check_sla(now=at(2026, 3, 3, 15)) == {"warned": 0, "escalated": 0}


# --- Permissions and data scope --------------------------------------------------------------------


def _strip_service(user):
    for role in user.roles.all():
        role.permissions.remove(*Permission.objects.filter(content_type__app_label="service"))


def test_salesperson_without_service_permissions_gets_403(client, rep, agent):
    req = new_request(agent)
    _strip_service(rep)
    client.force_login(rep)
    for url in (
        reverse("service:servicerequest_list"),
        reverse("service:servicerequest_add"),
        reverse("service:sla_report"),
        reverse("service:complaints_report"),
        reverse("service:console"),
        "/api/service-requests/",
        "/api/service-calls/?number=13800138000",
    ):
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("service:servicerequest_detail", args=[req.pk])).status_code in (
        403,
        404,
    )
    r = client.post(
        reverse("service:servicerequest_move", args=[req.pk]), {"status": "in_progress"}
    )
    assert r.status_code in (403, 404)


def test_data_scope_restricts_requests_like_other_owned_records(client, make_user):
    mine = make_user("salesperson", "a1")
    theirs = make_user("salesperson", "a2")
    a = new_request(mine, subject="我的请求")
    b = new_request(theirs, subject="别人的请求")
    assert set(ServiceRequest.objects.visible_to(mine)) == {a}
    client.force_login(mine)
    page = client.get(reverse("service:servicerequest_list")).content.decode()
    assert "我的请求" in page and "别人的请求" not in page
    assert client.get(reverse("service:servicerequest_detail", args=[b.pk])).status_code == 404
    assert client.get(f"/api/service-requests/{b.pk}/").status_code == 404
    data = client.get("/api/service-requests/").json()
    assert [r["id"] for r in data["results"]] == [a.pk]


# --- Pages and API -------------------------------------------------------------------------------


def test_add_page_creates_with_entitlement_and_detail_shows_it(client, agent):
    cust = make_customer(agent, 7)
    contract(agent, cust, "silver")
    client.force_login(agent)
    r = client.post(
        reverse("service:servicerequest_add"),
        {
            "customer": cust.pk,
            "channel": "phone",
            "type": "request",
            "priority": "low",
            "subject": "无法开机",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    req = ServiceRequest.objects.get(subject="无法开机")
    assert req.entitlement == "contract" and req.priority == "normal"
    page = client.get(req.get_absolute_url()).content.decode()
    assert "Service contract" in page and req.number in page
    r = client.post(
        reverse("service:servicerequest_move", args=[req.pk]), {"status": "resolved"}, follow=True
    )
    assert "Write the resolution notes" in r.content.decode()
    req.refresh_from_db()
    assert req.status == "new"


def test_api_create_and_move_refuses_resolution_without_notes(client, agent):
    cust = make_customer(agent, 8)
    client.force_login(agent)
    r = client.post(
        "/api/service-requests/",
        {"customer": cust.pk, "subject": "投诉送货慢", "type": "complaint"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["priority"] == "high" and body["number"].startswith("SR")
    r = client.post(
        f"/api/service-requests/{body['id']}/move/",
        {"status": "closed"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "resolution" in r.content.decode()
    r = client.post(
        f"/api/service-requests/{body['id']}/move/",
        {"status": "closed", "resolution": "已道歉并补发"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_reports_render(client, admin_user):
    req = new_request(admin_user, type="complaint", now=timezone.now())
    acts.move_request(req, "resolved", user=admin_user, resolution="ok")
    client.force_login(admin_user)
    for by in ("month", "priority", "level"):
        r = client.get(reverse("service:sla_report"), {"by": by})
        assert r.status_code == 200
        assert "sla-chart" in r.content.decode()
    r = client.get(reverse("service:complaints_report"))
    assert r.status_code == 200 and "complaints-table" in r.content.decode()
    assert client.get(reverse("service:sla_report"), {"year": "abc"}).status_code in (200, 400)


def test_agent_profile_normalises_lists(admin_user, agent):
    from kehu.service.actions.contracts import save_agent_profile

    p = save_agent_profile(
        AgentProfile(user=agent, categories=" fault, installation ,fault", languages="ZH, en"),
        user=admin_user,
    )
    assert p.categories == "fault,installation" and p.languages == "en,zh"
