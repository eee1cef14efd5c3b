"""Demo leads: a year of leads from trade shows, the website, referrals and calls, scored by
demo rules; some converted into the demo customers (and their opportunities when the pipeline
demo made some), the rest new, in work or disqualified. Deterministic for the seed."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from kehu.core.actions import bulk_create_audited
from kehu.core.demo import DemoContext, generator
from kehu.customers.demo.customer import CITIES, INDUSTRIES, TITLES, WORDS
from kehu.system.demo import person_name

from ..actions.leads import score_of
from ..models import Opportunity
from ..models.leads import Lead, LeadAssignmentRule, LeadScoringRule, WebForm

REGIONS = {
    "北京": "北京",
    "上海": "上海",
    "广州": "广东",
    "深圳": "广东",
    "杭州": "浙江",
    "南京": "江苏",
    "成都": "四川",
    "重庆": "重庆",
    "武汉": "湖北",
    "西安": "陕西",
    "苏州": "江苏",
    "天津": "天津",
    "长沙": "湖南",
    "青岛": "山东",
    "厦门": "福建",
    "宁波": "浙江",
}
SOURCES = ["exhibition"] * 4 + ["website"] * 3 + ["referral"] * 2 + ["cold_call", "advertising"]
CAMPAIGNS = {
    "exhibition": ["上海工博会", "深圳高交会", "广交会"],
    "website": ["官网在线咨询", ""],
    "advertising": ["百度推广", "微信朋友圈广告"],
}
REASONS = ["无采购预算", "已选择竞争对手", "联系方式无效", "需求不匹配", "重复线索"]
NOTES = ["", "", "展会上索取了产品手册", "希望尽快报价", "对新品感兴趣", "需要技术交流"]
STATUS_MIX = (
    ["new"] * 5 + ["contacted"] * 5 + ["qualified"] * 3 + ["disqualified"] * 3 + ["converted"] * 4
)


def _rules() -> list[LeadScoringRule]:
    rules = [
        LeadScoringRule(name="制造业客户", field="industry", value="manufacturing", points=20),
        LeadScoringRule(name="留有邮箱", field="email", condition="is_set", points=5),
        LeadScoringRule(name="展会来源", field="source", value="exhibition", points=10),
        LeadScoringRule(name="客户介绍", field="source", value="referral", points=15),
        LeadScoringRule(
            name="决策层职位", field="title", condition="contains", value="总", points=8
        ),
    ]
    bulk_create_audited(LeadScoringRule, rules)
    return list(LeadScoringRule.objects.filter(active=True))


@generator(112, "leads")
def leads(ctx: DemoContext) -> None:
    """About one lead per two customers (at least 300) over the last year."""
    if Lead.objects.exists():
        return
    from kehu.customers.models import Contact, Customer
    from kehu.system.models import User

    rng = random.Random(ctx.seed * 1000 + 112)  # independent of the other generators
    people = list(
        User.objects.filter(is_active=True, is_superuser=False, department__isnull=False)
        .order_by("pk")
        .values_list("pk", "department_id")
    )
    if not people:
        return
    rules = _rules()
    first = User.objects.filter(pk=people[0][0]).first()
    WebForm(name="官网在线咨询", title="联系我们 · 获取报价", fallback_owner=first).save()
    rule = LeadAssignmentRule(name="网站线索轮流分配", department_id=people[0][1])
    rule.save()
    customers = list(
        Customer.objects.order_by("pk").values_list("pk", "name", "owner_id", "department_id")
    )
    first_contact = {}
    for customer_id, contact_id in Contact.objects.order_by("pk").values_list("customer_id", "pk"):
        first_contact.setdefault(customer_id, contact_id)
    opportunity_of = {}
    for customer_id, opp_id in Opportunity.objects.order_by("pk").values_list("customer_id", "pk"):
        opportunity_of.setdefault(customer_id, opp_id)
    count = max(300, ctx.customers // 2)
    now = timezone.now().replace(microsecond=0)
    batch: list[Lead] = []
    used: set[int] = set()
    for _n in range(count):
        created = now - datetime.timedelta(days=rng.randrange(0, 365), minutes=rng.randrange(600))
        status = rng.choice(STATUS_MIX)
        source = rng.choice(SOURCES)
        city = rng.choice(CITIES)
        word, industry = rng.choice(INDUSTRIES)
        company = f"{city}{rng.choice(WORDS)}{rng.choice(WORDS)}{word}有限公司"
        owner_id, department_id = rng.choice(people)
        title = rng.choice(TITLES)[0]
        lead = Lead(
            name=person_name(rng),
            company=company,
            title=title,
            mobile=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            email=f"lead{len(batch) + 1}@example.cn" if rng.random() < 0.6 else "",
            region=REGIONS.get(city, ""),
            city=city,
            industry=industry,
            source=source,
            campaign=rng.choice(CAMPAIGNS.get(source, [""])),
            status=status,
            notes=rng.choice(NOTES),
            owner_id=owner_id,
            department_id=department_id,
            created_at=created,
        )
        if status != "new":
            lead.last_contacted_at = created + datetime.timedelta(days=rng.randrange(1, 20))
            lead.last_contacted_at = min(lead.last_contacted_at, now)
        if status == "disqualified":
            lead.disqualified_reason = rng.choice(REASONS)
        if status == "converted":
            pick = rng.choice(customers) if customers else None
            if pick is None or pick[0] in used:
                lead.status = "qualified"
            else:
                used.add(pick[0])
                customer_id, name, owner_id, department_id = pick
                lead.company = name
                lead.owner_id, lead.department_id = owner_id, department_id
                lead.converted_customer_id = customer_id
                lead.converted_contact_id = first_contact.get(customer_id)
                lead.converted_opportunity_id = opportunity_of.get(customer_id)
                lead.converted_at = min(
                    created + datetime.timedelta(days=rng.randrange(3, 40)), now
                )
        lead.score = score_of(lead, rules)
        batch.append(lead)
    bulk_create_audited(Lead, batch)
    ctx.out(f"  {len(batch):,} leads, {len(used):,} converted into demo customers")
