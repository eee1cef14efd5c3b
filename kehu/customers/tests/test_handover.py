"""Handover of an employee's book to several colleagues: splits, preview, audit, notifications,
all or nothing, the page, the API and who may do it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.core.models import AuditLog, Notification
from kehu.core.testing import picker_choices
from kehu.customers import actions as customer_actions
from kehu.customers.models import Activity, CareTask, Contact, Customer
from kehu.system import actions
from kehu.system.actions import Split

from .factories import contact as make_contact
from .factories import customer as make_customer


@pytest.fixture
def book(make_user):
    """A salesperson with 6 customers (levels A×3, B×2, C×1), a contact each, one care task."""
    leaver = make_user("salesperson", "a1", username="leaver")
    customers = [make_customer(leaver, n, level=level) for n, level in enumerate("AAABBC", start=1)]
    for n, c in enumerate(customers, start=1):
        make_contact(leaver, n, customer=c)
    CareTask.objects.create(
        customer=customers[0],
        kind="birthday",
        title="生日",
        due_on=datetime.date(2026, 12, 1),
        owner=leaver,
        department=leaver.department,
        occasion_key="t:1",
    )
    return {"leaver": leaver, "customers": customers}


@pytest.fixture
def heirs(make_user):
    return [
        make_user("salesperson", "a2", username="heir1"),
        make_user("salesperson", "b", username="heir2"),
    ]


def owners(model=Customer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for username in model.objects.values_list("owner__username", flat=True):
        counts[username] = counts.get(username, 0) + 1
    return counts


@pytest.mark.django_db
def test_round_robin_to_two_colleagues(book, heirs, admin_user):
    leaver = book["leaver"]
    received = actions.hand_over(employee=leaver, colleagues=heirs)
    assert owners() == {"heir1": 3, "heir2": 3}
    # contacts and open care tasks follow their customer
    for contact in Contact.objects.select_related("customer"):
        assert (contact.owner_id, contact.department_id) == (
            contact.customer.owner_id,
            contact.customer.department_id,
        )
    assert CareTask.objects.get().owner == Customer.objects.get(pk=book["customers"][0].pk).owner
    assert received[heirs[0].pk] == {"customers": 3, "contacts": 3, "care_tasks": 1}
    assert received[heirs[1].pk] == {"customers": 3, "contacts": 3}
    # every record audited with the previous owner
    moved = AuditLog.objects.filter(content_type__model="customer", changes__has_key="owner_id")
    assert moved.filter(action="update").count() == 6
    assert all(e.changes["owner_id"][0] == leaver.pk for e in moved.filter(action="update"))
    assert (
        AuditLog.objects.filter(
            content_type__model="contact", action="update", changes__has_key="owner_id"
        ).count()
        == 6
    )
    assert AuditLog.for_object(leaver).filter(changes__has_key="handover").exists()
    # one notification per colleague, with what they received
    for heir in heirs:
        note = Notification.objects.get(recipient=heir, kind="handover")
        assert "3" in note.title and "leaver" in note.title
    leaver.refresh_from_db()
    assert leaver.is_active  # handing over is not leaving


@pytest.mark.django_db
def test_all_to_one_and_by_level(book, heirs):
    leaver = book["leaver"]
    with pytest.raises(ValidationError):
        actions.hand_over(employee=leaver, colleagues=heirs, split=Split.ALL_TO_ONE)
    plan = actions.plan_handover(
        employee=leaver, colleagues=heirs, split=Split.BY_LEVEL, level_map={"C": heirs[0].pk}
    )
    preview = {row["handover"].name: row["per_colleague"] for row in actions.preview_handover(plan)}
    # A (3) to the least loaded after C went to heir1: heir2; B (2) to heir1
    assert preview["customers"] == [3, 3]
    assert preview["contacts"] == [3, 3]
    assert Customer.objects.filter(owner=leaver).count() == 6  # preview writes nothing
    actions.hand_over(
        employee=leaver, colleagues=heirs, split=Split.BY_LEVEL, level_map={"C": heirs[0].pk}
    )
    by_level = dict(Customer.objects.values_list("level", "owner__username").distinct())
    assert by_level == {"A": "heir2", "B": "heir1", "C": "heir1"}
    actions.hand_over(employee=heirs[1], colleagues=[heirs[0]], split=Split.ALL_TO_ONE)
    assert owners() == {"heir1": 6}


@pytest.mark.django_db
def test_level_map_must_name_a_chosen_colleague(book, heirs, make_user):
    stranger = make_user("salesperson", "a2")
    with pytest.raises(ValidationError) as exc:
        actions.hand_over(
            employee=book["leaver"],
            colleagues=heirs,
            split=Split.BY_LEVEL,
            level_map={"A": stranger.pk},
        )
    assert "level_map" in exc.value.error_dict


@pytest.mark.django_db
def test_all_or_nothing_when_a_module_fails(book, heirs):
    def explode(employee, plan):
        raise RuntimeError("boom")

    actions.register_handover("exploding", "Exploding", lambda e: 1, plan_reassign_fn=explode)
    try:
        with pytest.raises(RuntimeError):
            actions.hand_over(employee=book["leaver"], colleagues=heirs)
    finally:
        actions.HANDOVERS.pop("exploding")
    assert owners() == {"leaver": 6}
    assert owners(Contact) == {"leaver": 6}
    assert not Notification.objects.filter(kind="handover").exists()
    assert not AuditLog.objects.filter(action="update", changes__has_key="owner_id").exists()


@pytest.mark.django_db
def test_deactivation_still_hands_everything_over(book, heirs, admin_user):
    leaver = book["leaver"]
    actions.deactivate_employee(
        employee=leaver, left_on=datetime.date(2026, 11, 30), handover_to=heirs, by=admin_user
    )
    assert owners() == {"heir1": 3, "heir2": 3}
    assert set(owners(Contact)) == {"heir1", "heir2"}
    note = Notification.objects.get(recipient=heirs[0], kind="handover")
    assert "3" in note.title


@pytest.mark.django_db
def test_handover_page_preview_and_execute(client, book, heirs, admin_user):
    leaver = book["leaver"]
    client.force_login(admin_user)
    url = reverse("system:handover")
    chosen = client.get(url, {"employee": leaver.pk}).content.decode()
    assert 'data-handover="customers"' in chosen and ">6</span>" in chosen
    params = {"employee": leaver.pk, "handover_to": [h.pk for h in heirs], "split": "round_robin"}
    preview = client.get(url, params).content.decode()
    assert 'id="handover-preview-table"' in preview and 'id="handover-execute"' in preview
    colleagues_select = preview.split('name="handover_to"')[1].split("</select>")[0]
    assert f'value="{leaver.pk}"' not in colleagues_select  # not to themselves
    by_level = client.get(url, {**params, "split": "by_level"}).content.decode()
    assert 'id="handover-level-plan"' in by_level and 'name="level__A"' in by_level
    assert Customer.objects.filter(owner=leaver).count() == 6
    done = client.post(url, params)
    assert done.status_code == 302
    assert owners() == {"heir1": 3, "heir2": 3}
    # bad input: no colleague, a clear field error and nothing moved
    again = client.post(url, {"employee": heirs[0].pk, "split": "round_robin"})
    assert again.status_code == 200 and "invalid-feedback" in again.content.decode()
    assert owners() == {"heir1": 3, "heir2": 3}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["salesperson", "director"])
def test_only_user_managers_and_team_managers_may_hand_over(client, book, heirs, make_user, role):
    person = make_user(role, "a1")
    client.force_login(person)
    params = {"employee": book["leaver"].pk, "handover_to": [h.pk for h in heirs]}
    assert (
        client.get(reverse("system:handover"), {"employee": book["leaver"].pk}).status_code == 403
    )
    assert client.post(reverse("system:handover"), params).status_code == 403
    assert client.post("/api/handover/", params, content_type="application/json").status_code == 403
    assert (
        client.post("/api/handover/preview/", params, content_type="application/json").status_code
        == 403
    )
    assert owners() == {"leaver": 6}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sales_manager", "branch_manager"])
def test_team_managers_hand_over_within_their_scope_only(client, book, heirs, make_user, role):
    """A manager of team A1 may hand the leaver's book to A1 colleagues, not to other teams,
    and may not take over another team's employee."""
    manager = make_user(role, "a1")
    colleague = make_user("salesperson", "a1", username="heir_a1")
    client.force_login(manager)
    url = reverse("system:handover")
    page = client.get(url, {"employee": book["leaver"].pk}).content.decode()
    choices = picker_choices(client, page, "handover_to")
    assert str(colleague.pk) in choices and str(heirs[1].pk) not in choices
    outside = {"employee": book["leaver"].pk, "handover_to": [heirs[1].pk], "split": "all_to_one"}
    refused = client.post(url, outside)
    assert refused.status_code == 200 and "invalid-feedback" in refused.content.decode()
    api = client.post("/api/handover/", outside, content_type="application/json")
    assert api.status_code == 403
    theirs = {"employee": heirs[1].pk, "handover_to": [colleague.pk], "split": "all_to_one"}
    assert client.post("/api/handover/", theirs, content_type="application/json").status_code == 403
    assert owners() == {"leaver": 6}
    inside = {"employee": book["leaver"].pk, "handover_to": [colleague.pk], "split": "all_to_one"}
    assert client.post(url, inside).status_code == 302
    assert owners() == {"heir_a1": 6}
    listing = client.get(reverse("customers:customer_list")).content.decode()
    assert reverse("system:handover") in listing  # the customers module links to the page


@pytest.mark.django_db
def test_api_preview_and_execute(client, book, heirs, admin_user):
    client.force_login(admin_user)
    params = {
        "employee": book["leaver"].pk,
        "handover_to": [h.pk for h in heirs],
        "split": "by_level",
        "level_map": {"A": heirs[0].pk},
    }
    preview = client.post("/api/handover/preview/", params, content_type="application/json")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["owned"]["customers"] == 6
    assert body["received"][str(heirs[0].pk)]["customers"] == 3
    done = client.post("/api/handover/", params, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["received"][str(heirs[1].pk)]["customers"] == 3
    empty = client.post("/api/handover/", params, content_type="application/json")
    assert empty.status_code == 400
    bad = client.post(
        "/api/handover/",
        {"employee": heirs[0].pk, "handover_to": [heirs[0].pk]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "handover_to" in bad.json()


@pytest.mark.django_db
def test_levels_owned_and_default_map(book, heirs):
    levels = customer_actions.levels_owned(book["leaver"])
    assert levels == [("A", 3), ("B", 2), ("C", 1)]
    assert customer_actions.default_level_map(levels, heirs) == {
        "A": heirs[0].pk,
        "B": heirs[1].pk,
        "C": heirs[1].pk,
    }


@pytest.mark.django_db
def test_the_notice_counts_the_open_activities_that_moved(book, heirs):
    """Issue 16: the hand-over message left out the activities that went with the customers."""
    from .factories import activity

    leaver = book["leaver"]
    for n, c in enumerate(book["customers"][:2], start=1):
        activity(leaver, n, customer=c, status=Activity.Status.PLANNED)
    received = actions.hand_over(employee=leaver, colleagues=heirs[:1])
    assert received[heirs[0].pk]["activities"] == 2
    note = Notification.objects.get(recipient=heirs[0], kind="handover")
    assert "Open activities 2" in note.title or "未完成的活动 2" in note.title, note.title
    assert note.link.endswith(f"?owner={heirs[0].pk}")
