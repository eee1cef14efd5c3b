"""The service demo generator, and the call-centre console (page, call log, telephony API)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.customers.tests.factories import contact as make_contact
from kehu.customers.tests.factories import customer as make_customer
from kehu.service.models import ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    from django.utils import translation

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def test_demo_generator_writes_a_year_of_requests_with_sla_outcomes(make_user):
    from kehu.core.demo import DemoContext
    from kehu.service.demo.requests import service
    from kehu.service.models import AgentProfile, ServiceContract
    from kehu.service.tests.factories.requests import product

    owner = make_user("salesperson", "a1")
    for n in range(1, 31):
        make_customer(owner, n)
    product("P-D-1")
    make_user("service_agent", "a1")
    make_user("service_agent", "a2")
    service(DemoContext(seed=1, customers=30, employees=5, out=lambda s: None))
    assert ServiceRequest.objects.count() > 1000
    assert AgentProfile.objects.count() == 2
    assert ServiceContract.objects.exists()
    met = ServiceRequest.objects.filter(resolution_met=True).count()
    late = ServiceRequest.objects.filter(resolution_met=False).count()
    assert met > late > 0  # mostly in time, some late
    assert ServiceRequest.objects.filter(type="complaint").exists()
    assert not ServiceRequest.objects.filter(
        status__in=("resolved", "closed"), resolution=""
    ).exists()


def test_console_pops_the_caller_and_logs_the_call(client, make_user):
    from kehu.customers.models import Activity

    agent = make_user("service_agent", "a1")
    owner = make_user("salesperson", "a2")
    cust = make_customer(owner, 1, phone="010-62345678")
    person = make_contact(owner, 2, customer=make_customer(owner, 3), mobile="13912345678")
    client.force_login(agent)
    page = client.get(reverse("service:console"), {"phone": "+86 10 6234 5678"}).content.decode()
    assert cust.name in page
    page = client.get(reverse("service:console"), {"phone": "139-1234-5678"}).content.decode()
    assert person.customer.name in page and person.name in page
    page = client.get(reverse("service:console"), {"phone": "abc"}).content.decode()
    assert "This is not a phone number" in page
    r = client.post(
        reverse("service:console_log_call"),
        {
            "customer": cust.pk,
            "phone": "01062345678",
            "minutes": 3,
            "seconds": 5,
            "outcome": "已解答",
        },
    )
    assert r.status_code == 302
    call = Activity.objects.get(customer=cust, kind="call")
    assert call.outcome == "已解答" and (call.end_at - call.start_at).total_seconds() == 185
    assert call.owner == agent
    r = client.post(
        reverse("service:console_log_call"),
        {"customer": cust.pk, "minutes": "x", "seconds": 0, "outcome": ""},
    )
    assert r.status_code == 302 and Activity.objects.filter(customer=cust).count() == 1


def test_telephony_endpoint_answers_the_callers_and_refuses_garbage(client, make_user):
    agent = make_user("service_agent", "a1")
    cust = make_customer(agent, 1, phone="13800138000")
    client.force_login(agent)
    body = client.get("/api/service-calls/", {"number": "+86 138 0013 8000"}).json()
    assert body["number"] == "13800138000"
    assert [c["customer"] for c in body["callers"]] == [cust.pk]
    assert client.get("/api/service-calls/", {"number": "x"}).status_code == 400
