"""The customer self-service portal: invitation and the one-time password link, sign-in and
lockout, a customer's contacts see and work only on their own customer's requests, and a portal
account is never a staff user — tested by guessing ids on every portal URL and by walking every
staff URL and API route (from the URL resolver) with a portal session."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from kehu.core.access_rules import Kind, iter_routes
from kehu.customers.tests.factories import customer as make_customer
from kehu.service.actions import portal as acts
from kehu.service.actions import requests as req_acts
from kehu.service.models import PortalAccount, RequestComment, ServiceRequest
from kehu.service.tests.factories.portal import portal_account

pytestmark = pytest.mark.django_db
PASSWORD = "Portal-pw-2026!"
MISSING = 999_999_999
ROUTES = list(iter_routes())
PORTAL_ROUTES = [
    r for r in ROUTES if r.name.startswith("service:portal_") and r.name != "service:portal_invite"
]


@pytest.fixture(autouse=True)
def english(client):
    from django.utils import translation

    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(make_user):
    """Customers A and B of one salesperson, each with a request and a portal contact."""
    rep = make_user("salesperson", "a1")
    cust_a = make_customer(rep, 1, name="甲公司")
    cust_b = make_customer(rep, 2, name="乙公司机密")
    acc_a = portal_account(rep, customer=cust_a, email="a@a.test")
    acc_b = portal_account(rep, customer=cust_b, email="b@b.test")
    req_a = req_acts.save_request(
        ServiceRequest(customer=cust_a, contact=acc_a.contact, subject="甲的打印机"),
        user=rep,
        route=False,
    )
    req_b = req_acts.save_request(
        ServiceRequest(customer=cust_b, contact=acc_b.contact, subject="乙的机密故障"),
        user=rep,
        route=False,
    )
    return {"rep": rep, "a": acc_a, "b": acc_b, "req_a": req_a, "req_b": req_b}


def portal_client(account=None, email="a@a.test") -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.post(reverse("service:portal_login"), {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


# --- Invitation, password, sign-in ----------------------------------------------------------------


def test_invite_sets_the_password_through_a_one_time_link(make_user, client):
    from kehu.customers.tests.factories import contact

    rep = make_user("salesperson", "a1")
    person = contact(rep, 1, email="Wang@Customer.test")
    client.force_login(rep)
    url = reverse("service:portal_invite", args=[person.pk])
    assert client.get(url).status_code == 200
    page = client.post(url, {"op": "invite"})
    link = re.search(
        r'value="(http://testserver/service/portal/password/[^"]+)"', page.content.decode()
    )
    assert link, page.content.decode()[:2000]
    account = PortalAccount.objects.get(contact=person)
    assert account.email == "wang@customer.test" and not account.password
    visitor = Client()
    path = link.group(1).removeprefix("http://testserver")
    assert visitor.get(path).status_code == 200
    weak = visitor.post(path, {"password": "123", "confirm": "123"})
    assert weak.status_code == 400
    done = visitor.post(path, {"password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("service:portal_requests")
    assert visitor.get(reverse("service:portal_requests")).status_code == 200
    # used: the same link is worth nothing now; a tampered one neither
    assert Client().get(path).status_code == 404
    assert Client().get(path[:-3] + "xx/").status_code == 404
    # the invitation is in the contact's history
    from kehu.core.models import AuditLog

    assert AuditLog.objects.filter(object_id=str(person.pk), action="permission").exists()


def test_invite_needs_an_e_mail_the_permission_and_the_contact_in_scope(make_user, client):
    from kehu.customers.tests.factories import contact

    rep = make_user("salesperson", "a1")
    outsider = make_user("salesperson", "a2")
    nobody = make_user(None, "a1")
    person = contact(rep, 1, email="")
    client.force_login(rep)
    url = reverse("service:portal_invite", args=[person.pk])
    client.post(url, {"op": "invite"})
    assert not PortalAccount.objects.exists()
    client.force_login(outsider)
    assert client.post(url, {"op": "invite"}).status_code == 404
    assert client.get(reverse("service:portal_invite", args=[MISSING])).status_code == 404
    client.force_login(nobody)
    assert client.post(url).status_code in (403, 404)
    assert not PortalAccount.objects.exists()


def test_sign_in_refuses_wrong_passwords_and_locks_after_five(world):
    client = Client()
    url = reverse("service:portal_login")
    for _ in range(acts.MAX_FAILED_LOGINS):
        assert client.post(url, {"email": "a@a.test", "password": "wrong"}).status_code == 400
    # locked: even the right password is refused for a while
    assert client.post(url, {"email": "a@a.test", "password": PASSWORD}).status_code == 400
    assert client.post(url, {"email": "b@b.test", "password": PASSWORD}).status_code == 302
    assert client.post(url, {"email": "nobody@x.test", "password": PASSWORD}).status_code == 400


def test_an_open_redirect_after_sign_in_is_refused(world):
    client = Client()
    response = client.post(
        reverse("service:portal_login"),
        {"email": "a@a.test", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("service:portal_requests")


def test_deactivated_accounts_are_signed_out(world):
    client = portal_client()
    acts.deactivate_account(account=world["a"], user=world["rep"])
    response = client.get(reverse("service:portal_requests"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("service:portal_login")
    )


# --- What a portal account sees and does ----------------------------------------------------------


def test_list_shows_only_the_own_customers_requests(world):
    page = portal_client().get(reverse("service:portal_requests")).content.decode()
    assert world["req_a"].number in page and "甲的打印机" in page
    assert world["req_b"].number not in page and "机密" not in page


def test_open_a_request_and_comment_on_it(world):
    client = portal_client()
    response = client.post(
        reverse("service:portal_request_new"),
        {"subject": "屏幕不亮", "description": "开机后黑屏", "serial_number": ""},
    )
    assert response.status_code == 302
    req = ServiceRequest.objects.get(subject="屏幕不亮")
    assert (req.channel, req.customer_id, req.contact_id) == (
        "portal",
        world["a"].contact.customer_id,
        world["a"].contact_id,
    )
    assert req.number and req.owner_id == world["rep"].pk
    detail = reverse("service:portal_request", args=[req.pk])
    assert client.post(detail, {"text": "补充：电源灯亮"}).status_code == 302
    assert client.post(detail, {"text": "   "}).status_code == 400
    comment = RequestComment.objects.get(request=req)
    assert comment.account_id == world["a"].pk
    page = client.get(detail).content.decode()
    assert "补充：电源灯亮" in page and "New" in page
    assert client.post(reverse("service:portal_request_new"), {"subject": ""}).status_code == 400


def test_a_closed_request_takes_no_more_comments(world):
    req = world["req_a"]
    req_acts.move_request(req, "closed", user=world["rep"], resolution="已远程解决")
    client = portal_client()
    response = client.post(reverse("service:portal_request", args=[req.pk]), {"text": "还有问题"})
    assert response.status_code == 400 and not RequestComment.objects.exists()
    assert (
        "已远程解决"
        in client.get(reverse("service:portal_request", args=[req.pk])).content.decode()
    )


def test_portal_forms_are_csrf_protected(world):
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post(
            reverse("service:portal_login"), {"email": "a@a.test", "password": PASSWORD}
        ).status_code
        == 403
    )


# --- ID guessing ------------------------------------------------------------------------------


def _portal_path(route, pk) -> str:
    values = {"pk": pk, "token": "x"}
    return reverse(route.name, kwargs={a: values[a] for a in route.args})


def test_another_customers_request_is_404_on_every_portal_url(world):
    """Every portal route with a record id (from the resolver, so a new one is covered): B's
    request answers exactly as an id that does not exist, on GET and POST, and nothing of B's
    shows or changes."""
    client = portal_client()
    with_pk = [r for r in PORTAL_ROUTES if "pk" in r.args]
    assert with_pk, "the portal has pages per request"
    b = world["req_b"]
    failures = []
    for route in with_pk:
        for method in ("get", "post"):
            got = getattr(client, method)(_portal_path(route, b.pk), {"text": "hack", "score": 1})
            none = getattr(client, method)(_portal_path(route, MISSING), {"text": "hack"})
            # 404 as for no record (405 for a method the route does not take, the same for both)
            if got.status_code != none.status_code or got.status_code not in (404, 405):
                failures.append(f"{route.name} {method}: {got.status_code}/{none.status_code}")
            if "机密" in got.content.decode(errors="replace"):
                failures.append(f"{route.name} {method}: shows B's data")
    for pk in range(1, b.pk + 20):  # every id around: only A's open
        code = client.get(reverse("service:portal_request", args=[pk])).status_code
        if code == 200 and pk != world["req_a"].pk:
            failures.append(f"request {pk} readable")
    assert not failures, failures
    assert not RequestComment.objects.filter(request=b).exists()


def test_every_portal_route_needs_a_portal_session(world, make_user):
    """Anonymous visitors and staff users (signed in to Kehu, even administrators) are sent to
    the portal sign-in: a staff session is no portal session."""
    admin = make_user("administrator", "hq", is_superuser=True)
    staff = Client()
    staff.force_login(admin)
    for client in (Client(), staff):
        for route in PORTAL_ROUTES:
            if route.name in (
                "service:portal_login",
                "service:portal_set_password",
                "service:portal_logout",
            ):
                continue
            path = _portal_path(route, world["req_a"].pk)
            response = client.get(path)
            if "_api_" in route.name:
                assert response.status_code == 401, (route.name, response.status_code)
                continue
            assert response.status_code == 302, (route.name, response.status_code)
            assert response["Location"].startswith(reverse("service:portal_login"))


def _staff_path(route, pk) -> str:
    values = {
        "pk": pk,
        "label": "service.servicerequest",
        "type_name": "servicerequest",
        "op": "done",
        "action": "complete",
        "token": "00000000-0000-0000-0000-000000000000",
        "share_pk": pk,
        "key": "recent",
        "score": 3,
    }
    if route.path.startswith("api/^"):
        regex = route.path.removeprefix("api/^").removesuffix("$")
        return "/api/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), regex)
    return reverse(route.name, kwargs={a: values.get(a, "x") for a in route.args})


def test_a_portal_session_reaches_no_staff_url_or_api(world):
    """Every route that is not public and not the portal's, GET and POST (and PATCH/DELETE on
    the API), with the ids of the portal user's own request, customer and contact: a redirect to
    the staff sign-in, 401, 403 or 404 — never a page or data — and nothing changes."""
    client = portal_client()
    own = world["req_a"]
    ids = {own.pk, own.customer_id, world["a"].contact_id}
    before = ServiceRequest.objects.get(pk=own.pk).version
    failures = []
    checked = 0
    for route in ROUTES:
        if route.rule is None or route.rule.kind == Kind.PUBLIC:
            continue
        for pk in sorted(ids) if "pk" in route.args else [MISSING]:
            try:
                path = _staff_path(route, pk)
            except Exception:  # noqa: BLE001 - a route with an argument we cannot fill
                continue
            methods = (
                ("get", "post", "patch", "delete") if path.startswith("/api/") else ("get", "post")
            )
            for method in methods:
                checked += 1
                response = getattr(client, method)(path, {}, content_type="application/json")
                code = response.status_code
                ok = code in (401, 403, 404, 405) or (
                    code == 302 and response["Location"].startswith("/login/")
                )
                if not ok:
                    failures.append(f"{method.upper()} {path}: {code}")
    assert checked > 200
    assert not failures, "\n".join(failures)
    assert ServiceRequest.objects.get(pk=own.pk).version == before


def test_public_staff_pages_do_not_sign_a_portal_user_in(world):
    client = portal_client()
    response = client.get("/api/service-requests/")
    assert response.status_code in (401, 403)
    assert (
        client.get(reverse("service:servicerequest_detail", args=[world["req_a"].pk])).status_code
        == 302
    )


def test_staff_answer_comments_on_the_request_page(world, make_user, client):
    req = world["req_a"]
    portal = portal_client()
    portal.post(reverse("service:portal_request", args=[req.pk]), {"text": "什么时候上门？"})
    client.force_login(world["rep"])
    page = client.get(req.get_absolute_url()).content.decode()
    assert "什么时候上门？" in page and 'id="request-comments"' in page
    url = reverse("service:servicerequest_comment", args=[req.pk])
    assert client.post(url, {"text": "明天上午九点"}).status_code == 302
    assert (
        "明天上午九点"
        in portal.get(reverse("service:portal_request", args=[req.pk])).content.decode()
    )
    outsider = make_user("salesperson", "a2")
    client.force_login(outsider)
    assert client.post(url, {"text": "x"}).status_code == 404
    assert RequestComment.objects.filter(request=req).count() == 2


def test_portal_comments_are_on_the_customers_timeline(world, make_user):
    from kehu.customers.timeline import timeline

    req = world["req_a"]
    portal_client().post(reverse("service:portal_request", args=[req.pk]), {"text": "请尽快处理"})
    entries = timeline(req.customer, world["rep"], limit=50).entries
    assert any(e.kind == "portal_comment" and e.summary == "请尽快处理" for e in entries)
    outsider = make_user("salesperson", "a2")
    assert not any(
        e.kind == "portal_comment" for e in timeline(req.customer, outsider, limit=50).entries
    )


def test_the_portal_api_lists_and_reads_only_the_own_customers_requests(world):
    client = portal_client()
    listed = client.get(reverse("service:portal_api_requests")).json()["results"]
    assert [r["id"] for r in listed] == [world["req_a"].pk]
    own = client.get(reverse("service:portal_api_request", args=[world["req_a"].pk]))
    assert own.status_code == 200 and own.json()["subject"] == "甲的打印机"
    for pk in (world["req_b"].pk, MISSING):
        response = client.get(reverse("service:portal_api_request", args=[pk]))
        assert response.status_code == 404 and "机密" not in response.content.decode()
