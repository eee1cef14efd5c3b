"""Pipelines, stages and deals: the actions' rules, the stage history, the board, the alerts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.core.models import AuditLog, Notification
from kehu.customers.tests.factories import customer as make_customer
from kehu.sales.actions.pipeline import (
    default_pipeline,
    move_stage,
    save_opportunity,
    save_pipeline,
    save_stage,
)
from kehu.sales.models import Opportunity, Pipeline, Stage, StageHistory

pytestmark = pytest.mark.django_db


def stage(pipeline, kind_or_name):
    qs = Stage.objects.filter(pipeline=pipeline)
    if kind_or_name in ("won", "lost"):
        return qs.get(kind=kind_or_name)
    return qs.get(name=kind_or_name)


def new_deal(user, *, amount="100000", customer=None, n=1, **kw):
    cust = customer or make_customer(user, n, number=f"T{user.pk:03d}{n:05d}", name=f"客户{n}")
    opp = Opportunity(name=f"商机{n}", customer=cust, amount=Decimal(amount), **kw)
    return save_opportunity(opp, user=user)


def test_default_pipeline_has_the_standard_stages_translated(make_user):
    from django.utils import translation

    pipeline = default_pipeline()
    assert default_pipeline() == pipeline  # get, not create, the second time
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    assert [(s.kind, s.probability) for s in stages] == [
        ("open", 10),
        ("open", 25),
        ("open", 50),
        ("open", 75),
        ("won", 100),
        ("lost", 0),
    ]
    with translation.override("zh-hans"):
        assert [str(s) for s in stages] == [
            "初步接洽",
            "需求确认",
            "方案报价",
            "谈判审核",
            "赢单",
            "输单",
        ]
        assert str(pipeline) == "标准销售流程"
    with translation.override("en"):
        assert str(stages[0]) == "Initial contact"


def test_a_new_deal_is_numbered_owned_and_in_the_first_stage(make_user):
    user = make_user("salesperson", "a1")
    opp = new_deal(user, amount="1234.5678")
    assert opp.number.startswith("SJ") and len(opp.number) == len("SJ20260100001")
    assert opp.owner == user and opp.department == user.department
    assert opp.stage.position == 10 and opp.status == "open"
    assert opp.amount == Decimal("1234.57")  # quote amount decimals (2), half up
    first = StageHistory.objects.get(opportunity=opp)
    assert first.from_stage is None and first.to_stage == opp.stage
    assert new_deal(user, n=2).number != opp.number


def test_negative_amount_is_refused(make_user):
    user = make_user()
    with pytest.raises(ValidationError) as exc:
        new_deal(user, amount="-1")
    assert "amount" in exc.value.message_dict


def test_move_stage_records_history_status_and_dates(make_user):
    user = make_user()
    opp = new_deal(user)
    pipeline = opp.pipeline
    t0 = opp.stage_changed_at
    later = t0 + datetime.timedelta(days=5, hours=1)
    opp = move_stage(
        user=user, opportunity=opp, stage=stage(pipeline, "Proposal and quote"), now=later
    )
    assert opp.stage_changed_at == later and opp.status == "open" and opp.closed_at is None
    row = StageHistory.objects.filter(opportunity=opp).latest("changed_at")
    assert row.days_in_previous == 5 and row.from_stage.name == "Initial contact"
    assert row.changed_by == user
    won_at = later + datetime.timedelta(days=3)
    opp = move_stage(user=user, opportunity=opp, stage=stage(pipeline, "won"), now=won_at)
    assert opp.status == "won" and opp.closed_at == won_at
    # the change is in the audit trail
    changes = AuditLog.objects.filter(object_id=str(opp.pk), action="update").values_list(
        "changes", flat=True
    )
    assert any("stage" in c or "stage_id" in c for c in changes), list(changes)
    # reopened: open again, no closing date
    opp = move_stage(user=user, opportunity=opp, stage=stage(pipeline, "Needs confirmed"))
    assert opp.status == "open" and opp.closed_at is None
    assert StageHistory.objects.filter(opportunity=opp).count() == 4


def test_lost_needs_a_reason(make_user):
    user = make_user()
    opp = new_deal(user)
    lost = stage(opp.pipeline, "lost")
    with pytest.raises(ValidationError) as exc:
        move_stage(user=user, opportunity=opp, stage=lost)
    assert exc.value.error_dict["lost_reason"][0].code == "lost_reason_required"
    opp.refresh_from_db()
    assert opp.status == "open"
    opp = move_stage(user=user, opportunity=opp, stage=lost, lost_reason="价格太高")
    assert opp.status == "lost" and opp.lost_reason == "价格太高" and opp.closed_at


def test_stage_of_another_pipeline_is_refused(make_user):
    user = make_user()
    opp = new_deal(user)
    other = Pipeline(name="渠道销售")
    other.save()
    foreign = Stage(pipeline=other, name="接洽", position=1)
    foreign.save()
    with pytest.raises(ValidationError) as exc:
        move_stage(user=user, opportunity=opp, stage=foreign)
    assert exc.value.error_dict["stage"][0].code == "stage_not_in_pipeline"
    opp.stage = foreign  # the edit page's path: the same rule
    with pytest.raises(ValidationError):
        save_opportunity(opp, user=user)


def test_stage_rules(make_user):
    user = make_user("administrator", "hq")
    pipeline = default_pipeline()
    won = stage(pipeline, "won")
    won.probability = 40
    assert save_stage(won, user=user).probability == 100
    opp = new_deal(make_user())
    first = opp.stage
    first.kind = Stage.Kind.WON
    with pytest.raises(ValidationError):
        save_stage(first, user=user)
    other = Pipeline(name="续约")
    save_pipeline(other, user=user)
    other.is_default = True
    save_pipeline(other, user=user)
    assert list(Pipeline.objects.filter(is_default=True)) == [other]
    other.is_default = False
    with pytest.raises(ValidationError):
        save_pipeline(other, user=user)


def test_kanban_renders_columns_and_a_move_is_json(client, make_user):
    user = make_user()
    deals = [new_deal(user, n=i, expected_close=datetime.date(2030, 1, i)) for i in range(1, 4)]
    client.force_login(user)
    page = client.get(reverse("sales:kanban"))
    assert page.status_code == 200
    cols = page.context["columns"]
    assert cols[0].count == 3 and cols[0].amount == Decimal("300000")
    assert [c.pk for c in cols[0].cards] == [d.pk for d in deals]
    target = cols[2].stage
    moved = client.post(
        reverse("sales:opportunity_move", args=[deals[0].pk]),
        {"stage": target.pk, "version": deals[0].version},
        HTTP_ACCEPT="application/json",
    )
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert body["ok"] and body["columns"][str(target.pk)]["count"] == 1
    assert body["columns"][str(cols[0].stage.pk)]["count"] == 2
    # a lost column without a reason: refused with the message, nothing changed
    lost = cols[-1].stage
    refused = client.post(
        reverse("sales:opportunity_move", args=[deals[1].pk]),
        {"stage": lost.pk},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 400 and refused.json()["message"]
    assert Opportunity.objects.get(pk=deals[1].pk).stage == cols[0].stage
    # a stale version is refused too
    stale = client.post(
        reverse("sales:opportunity_move", args=[deals[0].pk]),
        {"stage": cols[1].stage.pk, "version": 1},
        HTTP_ACCEPT="application/json",
    )
    assert stale.status_code == 400


def test_kanban_bounds_cards_and_loads_more(client, make_user, django_assert_max_num_queries):
    user = make_user()
    cust = make_customer(user, 1, number="K0001", name="大客户")
    pipeline = default_pipeline()
    first = stage(pipeline, "Initial contact")
    from kehu.core.audit import audited_bulk_create

    audited_bulk_create(
        Opportunity,
        [
            Opportunity(
                number=f"B{i:05d}",
                name=f"批量{i}",
                customer=cust,
                pipeline=pipeline,
                stage=first,
                amount=Decimal(10),
                owner=user,
                department=user.department,
                expected_close=datetime.date(2030, 1, 1) + datetime.timedelta(days=i),
            )
            for i in range(60)
        ],
    )
    client.force_login(user)
    with django_assert_max_num_queries(25):
        page = client.get(reverse("sales:kanban"))
    col = page.context["columns"][0]
    assert col.count == 60 and len(col.cards) == 50 and col.more
    assert col.amount == Decimal(600)
    more = client.get(
        reverse("sales:kanban_column") + f"?pipeline={pipeline.pk}&stage={first.pk}&offset=50"
    )
    assert more.status_code == 200 and more.content.decode().count("data-deal=") == 10


def test_outsiders_cannot_move_a_deal(client, make_user):
    owner = make_user("salesperson", "a1")
    other = make_user("salesperson", "b")
    opp = new_deal(owner)
    client.force_login(other)
    url = reverse("sales:opportunity_move", args=[opp.pk])
    assert client.post(url, {"stage": opp.stage_id}).status_code == 404


def test_api_move(client, make_user):
    user = make_user()
    opp = new_deal(user)
    client.force_login(user)
    won = stage(opp.pipeline, "won")
    r = client.post(
        f"/api/opportunities/{opp.pk}/move/",
        {"stage": won.pk},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "won" and r.json()["closed_at"]
    lost = stage(opp.pipeline, "lost")
    r = client.post(
        f"/api/opportunities/{opp.pk}/move/", {"stage": lost.pk}, content_type="application/json"
    )
    assert r.status_code == 400 and "lost_reason" in r.json()


def test_stalled_deals_alert_once_per_stall(client, make_user):
    from kehu.sales.actions.pipeline_alerts import notify_stalled_deals

    user = make_user()
    opp = new_deal(user)
    fresh = new_deal(user, n=2)
    assert notify_stalled_deals() == 0
    old = timezone.now() - datetime.timedelta(days=60)
    move_stage(user=user, opportunity=opp, stage=stage(opp.pipeline, "Needs confirmed"), now=old)
    assert notify_stalled_deals() == 1
    assert notify_stalled_deals() == 0  # once per stall
    note = Notification.objects.get(recipient=user, kind="deal_stalled")
    assert opp.name in note.title
    client.force_login(user)
    listed = client.get(reverse("sales:opportunity_list") + "?stalled=true")
    names = listed.content.decode()
    assert opp.name in names and fresh.name not in names
    # a new stall (another stage, long ago again) alerts again
    again = timezone.now() - datetime.timedelta(days=60)
    move_stage(
        user=user, opportunity=opp, stage=stage(opp.pipeline, "Proposal and quote"), now=again
    )
    assert notify_stalled_deals() == 1


def test_deal_page_shows_history_activities_and_suggestions(client, make_user):
    from kehu.customers.tests.factories import activity

    user = make_user("sales_manager", "a1")
    rep = make_user("salesperson", "a1")
    opp = new_deal(rep)
    activity(rep, 1, customer=opp.customer, subject="上门拜访演示", start_at=timezone.now())
    won_deal = new_deal(rep, n=2)
    move_stage(user=rep, opportunity=won_deal, stage=stage(won_deal.pipeline, "won"))
    client.force_login(user)
    page = client.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "上门拜访演示" in html and 'id="stage-history"' in html
    assert [s.person for s in page.context["suggestions"]] == [rep]


def test_customer_page_shows_the_deals(client, make_user):
    user = make_user()
    opp = new_deal(user)
    move_stage(user=user, opportunity=opp, stage=stage(opp.pipeline, "won"))
    client.force_login(user)
    page = client.get(reverse("customers:customer_detail", args=[opp.customer_id]))
    html = page.content.decode()
    assert 'id="customer-deals"' in html and opp.name in html
    from kehu.customers.timeline import timeline

    entries = timeline(opp.customer, user).entries
    kinds = [e.title for e in entries if e.kind == "deal"]
    assert len(kinds) == 2 and opp.name in kinds[0]


def test_import_deals_from_a_file(make_user, django_capture_on_commit_callbacks):
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from kehu.core import imports

    user = make_user("sales_manager", "a1")
    outsider = make_user("salesperson", "b")
    mine = make_customer(user, 1, number="C-IMP-1", name="导入客户甲")
    hidden = make_customer(outsider, 2, number="C-IMP-2", name="别人的客户")
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["商机名称", "客户", "金额", "预计成交日期", "阶段"])
    writer.writerow(["甲公司ERP项目", "C-IMP-1", "120000", "2027-03-31", "方案报价"])
    writer.writerow(["甲公司维保", "导入客户甲", "8000.456", "", ""])
    writer.writerow(["看不见的客户", hidden.name, "1", "", ""])
    writer.writerow(["没有的阶段", "C-IMP-1", "1", "", "不存在"])
    run = imports.create_run(
        user=user,
        label="sales.opportunity",
        upload=SimpleUploadedFile("商机.csv", buf.getvalue().encode()),
        mode="create",
    )
    imports.set_mapping(run=run, mapping=run.mapping, mode=run.mode)
    with django_capture_on_commit_callbacks(execute=True):
        imports.start_run(run=run)
    run.refresh_from_db()
    deals = {o.name: o for o in Opportunity.objects.filter(customer=mine)}
    assert set(deals) == {"甲公司ERP项目", "甲公司维保"}
    erp = deals["甲公司ERP项目"]
    assert erp.stage.name == "Proposal and quote" and erp.amount == Decimal(120000)
    assert erp.owner == user and erp.number.startswith("SJ")
    assert StageHistory.objects.filter(opportunity=erp).count() == 1
    assert deals["甲公司维保"].amount == Decimal("8000.46")
    assert not Opportunity.objects.filter(customer=hidden).exists()
    assert (run.created, run.errors) == (2, 2)


def test_my_open_deals_dashboard_card(client, make_user):
    user = make_user()
    other = make_user()
    new_deal(user, n=1, expected_close=datetime.date(2030, 1, 5))
    stalled = new_deal(user, n=2, expected_close=datetime.date(2030, 1, 1))
    old = timezone.now() - datetime.timedelta(days=90)
    move_stage(
        user=user, opportunity=stalled, stage=stage(stalled.pipeline, "Needs confirmed"), now=old
    )
    new_deal(other, n=3)
    client.force_login(user)
    r = client.get("/dashboard/my-deals/")
    assert r.status_code == 200
    assert r.context["summary"]["count"] == 2 and r.context["summary"]["stalled"] == 1
    assert r.context["summary"]["weighted"] == Decimal("35000")  # 10 % + 25 % of 100,000
    assert [d.pk for d in r.context["closing"]] == [stalled.pk, stalled.pk - 1]


def test_deals_are_found_by_the_global_search_within_the_data_scope(client, make_user):
    from kehu.core.search import search

    owner = make_user("salesperson", "a1")
    other = make_user("salesperson", "b")
    cust = make_customer(owner, 41, number="T0041", name="远洋集团")
    opp = save_opportunity(
        Opportunity(name="华东仓储扩建", customer=cust, amount=Decimal("1")), user=owner
    )
    # by Chinese, full pinyin, initials and number; the index is kept by every save
    for q in ("仓储", "cangchu", "hdcc", opp.number):
        assert list(search(Opportunity.objects.visible_to(owner), q)) == [opp], q
    client.force_login(owner)
    html = client.get(reverse("core:search"), {"q": "hdcc"}).content.decode()
    assert "华东仓储扩建" in html and opp.get_absolute_url() in html
    # the list's search box: the name through the index, or the customer's name
    url = reverse("sales:opportunity_list")
    assert "华东仓储扩建" in client.get(url, {"q": "hdcc"}).content.decode()
    assert "华东仓储扩建" in client.get(url, {"q": "远洋"}).content.decode()
    opp.name = "西南冷链"
    save_opportunity(opp, user=owner)
    assert not search(Opportunity.objects.visible_to(owner), "cangchu").exists()
    assert search(Opportunity.objects.visible_to(owner), "xnll").exists()
    # someone who may not see the deal does not find it
    client.force_login(other)
    assert "西南冷链" not in client.get(reverse("core:search"), {"q": "xnll"}).content.decode()


def test_the_sales_navigation_follows_the_sales_process(admin_user):
    from kehu.core.context_processors import module_links

    urls = [link["url"] for link in module_links(admin_user, "sales", "/sales/")]
    expected = [
        "sales:lead_list",
        "sales:opportunity_list",
        "sales:kanban",
        "sales:funnel",
        "sales:forecast",
        "sales:quote_list",
        "sales:quote_conversions",
        "sales:priceagreement_list",
        "sales:contract_list",
        "sales:salesorder_list",
        "sales:payment_list",
        "sales:ageing",
        "sales:commissionrule_list",
        "sales:commission_statement",
        "sales:salestarget_list",
        "sales:targets",
        "sales:pipeline_list",
    ]
    positions = [urls.index(reverse(name)) for name in expected]
    assert positions == sorted(positions)


def test_lost_reasons_report_counts_and_amounts_per_reason_and_competitor(client, make_user):
    from kehu.sales.pipeline_reports import lost_analysis

    owner = make_user("salesperson", "a1")
    pipe = default_pipeline()
    lost = stage(pipe, "lost")
    for n, (amount, reason, competitors) in enumerate(
        [
            ("100", "价格太高", "甲公司, 乙公司"),
            ("50", "Price too high", "甲公司"),
            ("30", "price", ""),
            ("20", "老板换人", "乙公司、丙公司"),
        ],
        start=60,
    ):
        opp = new_deal(owner, amount=amount, n=n, competitors=competitors)
        move_stage(opportunity=opp, stage=lost, user=owner, lost_reason=reason)
    open_deal = new_deal(owner, amount="999", n=70, competitors="甲公司")  # open: not counted
    by_reason, by_competitor = lost_analysis(Opportunity.objects.visible_to(owner))
    # the dictionary reason in any language or as its code is one row, in the reader's language
    assert [(r.label, r.count, r.amount) for r in by_reason] == [
        ("价格太高", 3, Decimal("180")),
        ("老板换人", 1, Decimal("20")),
    ]
    assert [(r.label, r.count, r.amount) for r in by_competitor] == [
        ("甲公司", 2, Decimal("150")),
        ("乙公司", 2, Decimal("120")),
        ("丙公司", 1, Decimal("20")),
    ]
    client.force_login(owner)
    html = client.get(reverse("sales:lost_reasons")).content.decode()
    assert 'id="lost-reasons-table"' in html and "价格太高" in html and "丙公司" in html
    # another salesperson's lost deals are not theirs to count
    other = make_user("salesperson", "b")
    assert lost_analysis(Opportunity.objects.visible_to(other)) == ([], [])
    # the kanban's lost dialog proposes the dictionary's reasons
    assert '<option value="价格太高">' in client.get(reverse("sales:kanban")).content.decode()
    page = client.get(reverse("sales:opportunity_detail", args=[open_deal.pk])).content.decode()
    assert '<option value="没有预算">' in page
