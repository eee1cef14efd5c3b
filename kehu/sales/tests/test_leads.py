"""Leads: saving (owner, department, status rules), scoring rules and their background
recompute, assignment rules (round robin, least loaded, by region), bulk assignment, stale and
"my new leads", the customer timeline."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.core.audit import unaudited_write
from kehu.core.models import AuditLog
from kehu.core.registry import get_object_type
from kehu.sales.actions import leads as actions
from kehu.sales.models.leads import Lead, LeadAssignmentRule, LeadScoringRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


def create(user, **data) -> Lead:
    data.setdefault("name", "张三")
    return get_object_type(Lead).actions.create(user=user, data=data)


def test_a_new_lead_belongs_to_its_creator_and_is_audited(sales):
    lead = create(sales, company="上海机械厂", mobile="13800000001")
    assert lead.owner == sales and lead.department_id == sales.department_id
    assert lead.status == Lead.Status.NEW
    assert AuditLog.objects.for_object(lead).filter(action=AuditLog.Action.CREATE).exists()


def test_converted_only_through_the_conversion(sales):
    with pytest.raises(ValidationError) as err:
        create(sales, status=Lead.Status.CONVERTED)
    assert "status" in err.value.message_dict


def test_disqualifying_needs_a_reason(sales):
    lead = create(sales)
    ot = get_object_type(Lead)
    with pytest.raises(ValidationError) as err:
        ot.actions.update(user=sales, obj=lead, data={"status": "disqualified"})
    assert "disqualified_reason" in err.value.message_dict
    lead.refresh_from_db()
    lead = ot.actions.update(
        user=sales, obj=lead, data={"status": "disqualified", "disqualified_reason": "无预算"}
    )
    assert lead.status == "disqualified"


def test_contacted_sets_the_last_contact(sales):
    lead = create(sales)
    assert lead.last_contacted_at is None
    lead = get_object_type(Lead).actions.update(user=sales, obj=lead, data={"status": "contacted"})
    assert lead.last_contacted_at is not None


# Scoring ---------------------------------------------------------------------------------------


def rules():
    LeadScoringRule.objects.create(
        name="制造业", field="industry", value="manufacturing", points=20
    )
    LeadScoringRule.objects.create(name="有邮箱", field="email", condition="is_set", points=5)
    LeadScoringRule.objects.create(name="展会", field="source", value="exhibition", points=10)
    LeadScoringRule.objects.create(name="停用", field="city", value="上海", points=99, active=False)
    LeadScoringRule.objects.create(
        name="经理", field="title", condition="contains", value="经理", points=3
    )


def test_score_is_the_sum_of_the_rules_met(sales):
    rules()
    lead = create(sales, industry="manufacturing", email="a@b.cn", source="exhibition", city="上海")
    assert lead.score == 35
    lead = get_object_type(Lead).actions.update(
        user=sales, obj=lead, data={"email": "", "title": "采购经理"}
    )
    assert lead.score == 33
    assert create(sales, industry="it").score == 0


def test_a_rule_change_recomputes_every_score_in_the_background(sales, admin_user, settings):
    from kehu.core.models import BackgroundJob

    lead = create(sales, industry="manufacturing")
    assert lead.score == 0
    ot = get_object_type(LeadScoringRule)
    with pytest.raises(ValidationError):  # "equals" needs a value
        ot.actions.create(user=admin_user, data={"name": "x", "field": "industry", "points": 1})
    ot.actions.create(
        user=admin_user,
        data={"name": "制造业", "field": "industry", "value": "manufacturing", "points": 20},
    )
    job = BackgroundJob.objects.filter(kind="lead_scores").latest("pk")
    from kehu.sales.tasks.leads import rescore_leads_job

    rescore_leads_job(job.pk)  # what the worker runs once the rule's transaction commits
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED
    lead.refresh_from_db()
    assert lead.score == 20
    assert actions.recompute_scores() == 0  # nothing left to change


def test_score_is_sortable_on_the_list(client, sales):
    for n, industry in enumerate(["it", "manufacturing", "finance"]):
        create(sales, name=f"评分线索{'甲乙丙'[n]}", industry=industry)
    LeadScoringRule.objects.create(name="m", field="industry", value="manufacturing", points=20)
    LeadScoringRule.objects.create(name="f", field="industry", value="finance", points=10)
    actions.recompute_scores()
    client.force_login(sales)
    page = client.get(reverse("sales:lead_list"), {"sort": "-score"}).content.decode()
    assert page.index("评分线索乙") < page.index("评分线索丙") < page.index("评分线索甲")
    page = client.get(reverse("sales:lead_list"), {"score_min": 15}).content.decode()
    assert "评分线索乙" in page and "评分线索丙" not in page


# Assignment ------------------------------------------------------------------------------------


def team(make_user, n=3, dept="a2"):
    return [make_user("salesperson", dept) for _ in range(n)]


def arrive(**kw) -> Lead:
    """A lead that comes without an owner (web form, import)."""
    return actions.save_lead(Lead(name=kw.pop("name", "访客"), **kw), user=None, assign=True)


def test_round_robin_in_turn_within_a_department(make_user, org):
    people = team(make_user)
    LeadAssignmentRule.objects.create(name="华东轮流", department=org["a2"])
    owners = [arrive().owner for _ in range(7)]
    ids = sorted(p.pk for p in people)
    assert [o.pk for o in owners] == [ids[0], ids[1], ids[2], ids[0], ids[1], ids[2], ids[0]]
    assert all(arrive().department_id == org["a2"].pk for _ in range(2))


def test_least_loaded_gets_the_lead(make_user, org):
    busy, idle, mid = team(make_user)
    for n in range(3):
        arrive_owned(busy, n)
    arrive_owned(mid, 9)
    done = arrive_owned(idle, 10)
    with unaudited_write("test set-up"):
        Lead.objects.filter(pk=done.pk).update(status="converted")  # a closed lead is no load
    rule = LeadAssignmentRule.objects.create(name="负载", method="least_loaded")
    rule.members.set([busy, idle, mid])
    assert arrive().owner == idle
    assert arrive().owner in (idle, mid)
    owners = [arrive().owner for _ in range(4)]
    counts = {p: Lead.objects.filter(owner=p, status="new").count() for p in (busy, idle, mid)}
    assert max(counts.values()) - min(counts.values()) <= 1, (counts, owners)


def arrive_owned(owner, n):
    return actions.save_lead(Lead(name=f"已有{n}", owner=owner), user=owner)


def test_rules_by_region_then_the_fallback(make_user, org):
    north = make_user("salesperson", "b")
    east = make_user("salesperson", "a2")
    rule = LeadAssignmentRule.objects.create(
        name="华北", match_field="region", match_values="北京, 天津，河北", position=1
    )
    rule.members.set([north])
    rule2 = LeadAssignmentRule.objects.create(name="其他", position=2)
    rule2.members.set([east])
    assert arrive(region="天津").owner == north
    assert arrive(region="上海").owner == east
    assert arrive().owner == east
    rule2.active = False
    rule2.save()
    with pytest.raises(ValidationError):  # nobody: no rule and no fallback owner
        arrive(region="上海")
    assert actions.save_lead(Lead(name="x"), user=east, assign=True).owner == east


def test_an_owner_given_is_kept(make_user, org, sales):
    LeadAssignmentRule.objects.create(name="all", department=org["a2"])
    team(make_user)
    assert actions.save_lead(Lead(name="x", owner=sales), user=None, assign=True).owner == sales


# Bulk assignment --------------------------------------------------------------------------------


def test_bulk_assign_needs_scope_and_tells_the_new_owner(client, manager, make_user):
    from kehu.core.models import Notification

    mine = make_user("salesperson", "a1")
    leads = [create(manager, name=f"L{n}") for n in range(3)]
    client.force_login(manager)
    page = client.get(reverse("sales:lead_list")).content.decode()
    assert "data-bulk-reassign" in page
    r = client.post(
        reverse("sales:lead_assign"), {"pk": [lead.pk for lead in leads], "owner": mine.pk}
    )
    assert r.status_code == 302
    assert Lead.objects.filter(owner=mine).count() == 3
    assert Notification.objects.filter(recipient=mine, kind="lead_assigned").count() == 1
    outsider = make_user("salesperson", "b")
    with pytest.raises(ValidationError):
        actions.assign_leads(leads=leads, owner=outsider, user=manager)
    with pytest.raises(PermissionDenied):
        actions.assign_leads(leads=leads, owner=manager, user=mine)  # no reassign permission


# Lists, stale, my new leads -----------------------------------------------------------------------


def test_stale_filter_and_my_new_leads(client, sales):
    old = create(sales, name="旧线索")
    fresh = create(sales, name="新线索")
    contacted = create(sales, name="刚联系")
    long_ago = timezone.now() - datetime.timedelta(days=40)
    with unaudited_write("test set-up"):
        Lead.objects.filter(pk__in=[old.pk, contacted.pk]).update(created_at=long_ago)
        Lead.objects.filter(pk=contacted.pk).update(
            status="contacted", last_contacted_at=timezone.now()
        )
    stale = set(Lead.objects.filter(actions.stale_q(30)).values_list("pk", flat=True))
    assert stale == {old.pk}
    client.force_login(sales)
    page = client.get(reverse("sales:lead_list"), {"stale": 30}).content.decode()
    assert "旧线索" in page and "新线索" not in page and "刚联系" not in page
    card = actions.my_new_leads(sales)
    assert card["count"] == 2 and {lead.pk for lead in card["leads"]} == {old.pk, fresh.pk}
    assert card["stale_count"] == 1
    page = client.get(reverse("core:dashboard_card", args=["my-new-leads"])).content.decode()
    assert "旧线索" in page and "新线索" in page and "刚联系" not in page
    assert 'data-count="stale-leads"' in page


def test_filters_refuse_nonsense_without_500(client, sales):
    client.force_login(sales)
    for params in ({"stale": "abc"}, {"score_min": "1e999"}, {"status": "nope"}):
        assert client.get(reverse("sales:lead_list"), params).status_code in (200, 400)


def test_a_leavers_open_leads_are_handed_over(make_user, sales):
    from kehu.system.actions import Split, hand_over

    heirs = [make_user("salesperson", "a1"), make_user("salesperson", "a1")]
    leads = [create(sales, name=f"L{n}") for n in range(3)]
    done = create(sales, name="已作废")
    get_object_type(Lead).actions.update(
        user=sales, obj=done, data={"status": "disqualified", "disqualified_reason": "无预算"}
    )
    received = hand_over(employee=sales, colleagues=heirs)
    assert received[heirs[0].pk]["leads"] == 2 and received[heirs[1].pk]["leads"] == 1
    assert Lead.objects.get(pk=done.pk).owner == sales  # history stays
    assert not Lead.objects.filter(pk__in=[lead.pk for lead in leads], owner=sales).exists()
    entry = AuditLog.objects.for_object(leads[0]).latest("pk")
    assert entry.changes["owner_id"][0] == sales.pk
    hand_over(employee=heirs[1], colleagues=[heirs[0]], split=Split.ALL_TO_ONE)
    assert Lead.objects.filter(owner=heirs[0], status="new").count() == 3
