"""Importing leads (trade-show cards): Chinese headers' fields cleaned from the model,
dictionary labels accepted, duplicates in the file refused, new leads assigned by the rules,
scored and audited; the importer is registered for the lead list."""

from __future__ import annotations

import pytest

from kehu.core.imports import ImportContext, Row, importers
from kehu.core.models import AuditLog
from kehu.sales.actions.leads_import import LeadImporter
from kehu.sales.models.leads import Lead, LeadAssignmentRule, LeadScoringRule

pytestmark = pytest.mark.django_db


def run(user, rows):
    importer = LeadImporter()
    ctx = ImportContext(user=user, mode="create", dry_run=False, batch="c" * 32, options={})
    importer.prepare(ctx)
    batch = [Row(number=n, raw=[], values=values) for n, values in enumerate(rows, 2)]
    importer.process(batch, ctx)
    return batch


def test_trade_show_cards_become_assigned_scored_leads(make_user, org):
    assert "sales.lead" in importers
    importer_user = make_user("sales_manager", "a1")
    rep = make_user("salesperson", "b")
    rule = LeadAssignmentRule.objects.create(
        name="华北", match_field="region", match_values="北京,天津"
    )
    rule.members.set([rep])
    LeadScoringRule.objects.create(name="展会", field="source", value="exhibition", points=10)
    rows = run(
        importer_user,
        [
            {
                "name": "王强",
                "company": "北京远航",
                "region": "北京",
                "source": "展会",
                "mobile": "13500000001",
            },
            {
                "name": "刘洋",
                "company": "上海启明",
                "region": "上海",
                "source": "exhibition",
                "email": "ly@qm.cn",
            },
            {"name": "王强", "company": "北京远航", "mobile": "13500000001"},
            {"name": "", "company": "无名"},
            {"name": "赵六", "industry": "不存在的行业"},
        ],
    )
    assert [r.outcome for r in rows] == ["created", "created", "duplicate", "error", "error"]
    wang = Lead.objects.get(name="王强")
    liu = Lead.objects.get(name="刘洋")
    assert wang.owner == rep and wang.department == rep.department  # by the region rule
    assert liu.owner == importer_user  # no rule: the importing user
    assert wang.source == liu.source == "exhibition" and wang.score == liu.score == 10
    assert AuditLog.objects.for_object(wang).filter(action="create").exists()


def test_cards_of_known_people_are_refused_naming_only_the_owner(make_user, org):
    from kehu.customers.tests.factories import contact as make_contact

    importer_user = make_user("salesperson", "a1")
    other = make_user("salesperson", "b")
    Lead.objects.create(
        name="老线索", mobile="13900000009", owner=other, department=other.department
    )
    make_contact(other, 1, mobile="13700000007", email="known@kh.cn")
    rows = run(
        importer_user,
        [
            {"name": "甲", "company": "甲公司", "mobile": "13900000009"},
            {"name": "乙", "company": "乙公司", "email": "KNOWN@kh.cn"},
            {"name": "丙", "company": "丙公司", "mobile": "13600000006"},
        ],
    )
    assert [r.outcome for r in rows] == ["error", "error", "created"]
    assert str(other) in rows[0].errors[0] and "老线索" not in rows[0].errors[0]
    assert str(other) in rows[1].errors[0]
