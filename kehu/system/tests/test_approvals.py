"""Approvals (审批): approvers from the department tree or a role, the record locked while a
request is pending (on a generic record type, through every writer), callbacks, notices,
permissions, the page and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.core.models import AuditLog, Notification
from kehu.core.registry import registry
from kehu.system.approvals import (
    ApprovalKind,
    approve,
    ensure_not_locked,
    pending_approval,
    register_approval_kind,
    reject,
    request_approval,
    withdraw,
)
from kehu.system.models import ApprovalRequest, ApprovalStep

CALLS: list[tuple[str, int, int]] = []

DEMO = register_approval_kind(
    ApprovalKind(
        code="tests.gadget_price",
        label="Gadget below floor",
        on_approved=lambda req, user: CALLS.append(("approved", req.pk, user.pk)),
        on_rejected=lambda req, user: CALLS.append(("rejected", req.pk, user.pk)),
        data_labels={"price": "Price", "floor": "Floor"},
    )
)
BY_ROLE = register_approval_kind(
    ApprovalKind(code="tests.by_branch_manager", label="By role", approver_role="branch_manager")
)
TWO_STEPS = register_approval_kind(ApprovalKind(code="tests.two_steps", label="Two", steps=2))


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


@pytest.fixture
def people(make_user):
    """Team A1: a salesperson and their sales manager; branch A: a branch manager; branch B: a
    branch manager and a salesperson (outsiders); HQ: an administrator."""
    return {
        "sales": make_user("salesperson", "a1"),
        "manager_a1": make_user("sales_manager", "a1"),
        "branch_a": make_user("branch_manager", "a"),
        "branch_b": make_user("branch_manager", "b"),
        "sales_b": make_user("salesperson", "b"),
        "admin": make_user("administrator", "hq"),
    }


def gadget(owner, name="示波器"):
    from tests.plugin_app.models import Gadget

    obj = Gadget(name=name, owner=owner, department=owner.department)
    obj.save()
    return obj


def ask(record, user, kind=DEMO.code):
    return request_approval(
        record=record,
        kind=kind,
        requested_by=user,
        summary="示波器 8折",
        data={"price": "800.00", "floor": "900.00"},
    )


# --- who approves -------------------------------------------------------------------------------


def approvers(req) -> set[int]:
    return set(req.steps.filter(step=req.current_step).values_list("approver_id", flat=True))


def test_the_manager_approves_first(people):
    sales = people["sales"]
    sales.manager = people["branch_a"]
    sales.save()
    assert approvers(ask(gadget(sales), sales)) == {people["branch_a"].pk}


def test_else_the_department_head_then_up_the_tree(people, make_user):
    sales = people["sales"]
    assert approvers(ask(gadget(sales), sales)) == {people["manager_a1"].pk}
    lonely = make_user("salesperson", "a2")  # team A2 has no head: the branch's manager
    assert approvers(ask(gadget(lonely), lonely)) == {people["branch_a"].pk}


def test_a_head_asking_goes_up_and_nobody_found_means_the_administrators(people, make_user):
    head = people["manager_a1"]
    assert approvers(ask(gadget(head), head)) == {people["branch_a"].pk}
    top = make_user("director", "hq")  # nobody above the director: the administrators
    assert approvers(ask(gadget(top), top)) == {people["admin"].pk}


def test_a_role_approves_the_nearest_holders_up_the_tree(people):
    sales = people["sales"]
    req = ask(gadget(sales), sales, kind=BY_ROLE.code)
    assert approvers(req) == {people["branch_a"].pk}  # not branch B's manager
    other = people["sales_b"]
    assert approvers(ask(gadget(other), other, kind=BY_ROLE.code)) == {people["branch_b"].pk}


def test_two_steps_go_up_the_chain(people):
    sales = people["sales"]
    req = ask(gadget(sales), sales, kind=TWO_STEPS.code)
    approve(request=req, user=people["manager_a1"], comment="ok")
    req.refresh_from_db()
    assert req.status == "pending" and req.current_step == 2
    assert approvers(req) == {people["branch_a"].pk}
    with pytest.raises(PermissionDenied):  # step 1's approver has no say in step 2
        approve(request=req, user=people["manager_a1"])
    approve(request=req, user=people["branch_a"])
    req.refresh_from_db()
    assert req.status == "approved" and req.decided_by == people["branch_a"]


# --- the lock -----------------------------------------------------------------------------------


def test_asking_is_idempotent_and_one_request_at_a_time(people):
    sales = people["sales"]
    g = gadget(sales)
    req = ask(g, sales)
    assert ask(g, sales).pk == req.pk
    assert pending_approval(g) == req
    with pytest.raises(ValidationError) as exc:
        ask(g, sales, kind=BY_ROLE.code)
    assert exc.value.code == "other_approval_pending"
    with pytest.raises(ValidationError) as exc:
        request_approval(record=g, kind="no.such", requested_by=sales, summary="x")
    assert exc.value.code == "unknown_kind"


def test_a_pending_record_is_locked_on_every_route_then_free_after_the_decision(people, client):
    sales = people["sales"]
    g = gadget(sales)
    req = ask(g, sales)
    actions = registry["plugin_app.gadget"].actions
    with pytest.raises(ValidationError) as exc:
        ensure_not_locked(g)
    assert exc.value.code == "approval_pending"
    with pytest.raises(ValidationError):
        actions.update(user=sales, obj=g, data={"name": "改"}, version=g.version)
    with pytest.raises(ValidationError):
        actions.delete(user=sales, obj=g)

    client.force_login(sales)
    page = client.post(
        reverse("plugin_app:gadget_edit", args=[g.pk]),
        {"name": "改价", "notes": "", "version": g.version},
    )
    assert page.status_code == 200 and "正在等待审批" in page.content.decode()
    api = client.patch(
        f"/api/gadgets/{g.pk}/", {"name": "改价", "version": g.version}, "application/json"
    )
    assert api.status_code == 400 and "正在等待审批" in api.content.decode()
    client.force_login(people["manager_a1"])  # may delete the team's records, not this one
    assert client.delete(f"/api/gadgets/{g.pk}/").status_code == 400
    g.refresh_from_db()
    assert g.name == "示波器"

    approve(request=req, user=people["manager_a1"], comment="同意")
    assert pending_approval(g) is None
    ensure_not_locked(g)
    saved = actions.update(user=sales, obj=g, data={"name": "改价"}, version=g.version)
    assert saved.name == "改价"


def test_a_bulk_delete_with_one_locked_record_deletes_nothing(people):
    from tests.plugin_app.models import Gadget

    admin = people["admin"]
    free, locked = gadget(admin, "甲"), gadget(admin, "乙")
    ask(locked, people["sales"])
    with pytest.raises(ValidationError):
        registry["plugin_app.gadget"].actions.bulk_delete(
            user=admin, queryset=Gadget.objects.filter(pk__in=[free.pk, locked.pk])
        )
    assert Gadget.objects.filter(pk__in=[free.pk, locked.pk]).count() == 2


# --- decisions ----------------------------------------------------------------------------------


def test_callbacks_run_on_approve_and_reject_and_everything_is_audited(people):
    sales, manager = people["sales"], people["manager_a1"]
    first = ask(gadget(sales), sales)
    approve(request=first, user=manager, comment="同意")
    second = ask(gadget(sales, "万用表"), sales)
    reject(request=second, user=manager, comment="太低")
    assert [("approved", first.pk, manager.pk), ("rejected", second.pk, manager.pk)] == CALLS
    second.refresh_from_db()
    assert second.status == "rejected" and second.comment == "太低"
    step = ApprovalStep.objects.get(request=second)
    assert step.decision == "rejected" and step.comment == "太低"
    logged = AuditLog.objects.filter(object_id=str(second.pk)).values_list("action", flat=True)
    assert len(logged) >= 2  # created, then decided
    with pytest.raises(ValidationError):  # decided once only
        approve(request=second, user=manager)


def test_notices_go_to_approvers_then_to_the_requester(people):
    sales, manager = people["sales"], people["manager_a1"]
    req = ask(gadget(sales), sales)
    notice = Notification.objects.get(recipient=manager, kind="approval")
    assert "示波器 8折" in notice.title and str(req.pk) in notice.link
    reject(request=req, user=manager, comment="太低")
    told = Notification.objects.get(recipient=sales, kind="approval")
    assert "示波器 8折" in told.title and "太低" in told.body


def test_only_approvers_decide_and_only_the_requester_withdraws(people):
    sales, manager = people["sales"], people["manager_a1"]
    req = ask(gadget(sales), sales)
    for outsider in (people["branch_b"], people["sales_b"], sales):
        with pytest.raises(PermissionDenied):
            approve(request=req, user=outsider)
    with pytest.raises(PermissionDenied):
        withdraw(request=req, user=manager)
    withdraw(request=req, user=sales)
    req.refresh_from_db()
    assert req.status == "withdrawn" and CALLS == []
    # an administrator may decide in the approvers' place
    other = ask(gadget(sales, "其他"), sales)
    approve(request=other, user=people["admin"])
    assert ApprovalRequest.objects.get(pk=other.pk).status == "approved"


# --- the page and the API -----------------------------------------------------------------------


def test_the_page_shows_each_their_own_and_decides_in_place(people, client):
    sales, manager = people["sales"], people["manager_a1"]
    req = ask(gadget(sales), sales)
    client.force_login(manager)
    page = client.get(reverse("system:approval_list"))
    text = page.content.decode()
    assert page.status_code == 200 and "示波器 8折" in text and 'data-waiting="1"' in text
    assert 'data-navbar="approvals"' in text and 'data-count="1"' in text
    assert "800.00" in text and "Floor" in text
    answer = client.post(
        reverse("system:approval_approve", args=[req.pk]),
        {"comment": "可以", "tab": "waiting"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200 and 'data-status="approved"' in answer.content.decode()
    assert ApprovalRequest.objects.get(pk=req.pk).comment == "可以"

    client.force_login(sales)
    mine = client.get(reverse("system:approval_list") + "?tab=history").content.decode()
    assert "示波器 8折" in mine
    client.force_login(people["sales_b"])
    assert (
        "示波器 8折"
        not in client.get(reverse("system:approval_list") + "?tab=history").content.decode()
    )


def test_outsiders_get_404_and_visible_non_approvers_403(people, client):
    sales = people["sales"]
    req = ask(gadget(sales), sales)
    urls = [reverse(f"system:approval_{op}", args=[req.pk]) for op in ("approve", "reject")]
    client.force_login(people["sales_b"])
    assert client.get(reverse("system:approval_detail", args=[req.pk])).status_code == 404
    assert all(client.post(u).status_code == 404 for u in urls)
    assert client.post(f"/api/approvals/{req.pk}/approve/").status_code == 404
    assert client.get("/api/approvals/").json()["results"] == []
    client.force_login(sales)  # sees the request, may not decide it
    assert client.get(reverse("system:approval_detail", args=[req.pk])).status_code == 200
    assert all(client.post(u).status_code == 403 for u in urls)
    assert client.post(f"/api/approvals/{req.pk}/approve/").status_code == 403
    client.force_login(people["manager_a1"])
    assert client.post(reverse("system:approval_withdraw", args=[req.pk])).status_code == 403
    assert ApprovalRequest.objects.get(pk=req.pk).status == "pending"


def test_the_api_lists_what_the_user_may_see_and_decides(people, client):
    sales, manager = people["sales"], people["manager_a1"]
    req = ask(gadget(sales), sales)
    client.force_login(manager)
    listed = client.get("/api/approvals/?waiting=true").json()["results"]
    assert [r["id"] for r in listed] == [req.pk]
    assert listed[0]["can_decide"] and listed[0]["record_type"] == "plugin_app.gadget"
    done = client.post(
        f"/api/approvals/{req.pk}/reject/", {"comment": "不行"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    again = client.post(f"/api/approvals/{req.pk}/approve/", {}, content_type="application/json")
    assert again.status_code == 400
    client.force_login(sales)
    assert [r["id"] for r in client.get("/api/approvals/").json()["results"]] == [req.pk]
    assert client.get("/api/approvals/?waiting=true").json()["results"] == []
