"""Demo competitors and market intelligence: eight Chinese competitors with their products and
a year of prices, the competitors of a few hundred deals (their prices, who won the closed
ones — the deals' own free-text competitors come first) and intelligence notes about them,
their customers and deals; deterministic for a seed."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from kehu.core.demo import DemoContext, generator

#: (name, website, strengths, weaknesses, the deals' free-text name, products)
COMPETITORS = [
    (
        "用友网络",
        "https://www.yonyou.com",
        "品牌知名度高，财务模块成熟，渠道覆盖全国",
        "实施周期长，二次开发费用高",
        "用友",
        ["U8 Cloud 标准版", "YonBIP 制造云"],
    ),
    (
        "金蝶软件",
        "https://www.kingdee.com",
        "云产品体验好，中小企业客户多",
        "大型项目交付经验不足",
        "金蝶",
        ["金蝶云·星空 旗舰版", "金蝶云·苍穹"],
    ),
    (
        "浪潮通用软件",
        "https://www.inspur.com",
        "国企和政府客户关系强，信创适配完整",
        "产品界面陈旧，价格不灵活",
        "浪潮",
        ["浪潮GS企业管理软件", "浪潮海岳"],
    ),
    (
        "华为技术",
        "https://www.huawei.com",
        "硬件和云一体化方案，技术实力强",
        "软件应用层依赖合作伙伴",
        "华为",
        ["华为云 Stack", "FusionServer 服务器"],
    ),
    (
        "西门子（中国）",
        "https://www.siemens.com.cn",
        "工业自动化领先，MES 与设备集成好",
        "价格高，本地化服务响应慢",
        "西门子",
        ["Opcenter MES", "SIMATIC PLC 套件"],
    ),
    (
        "鼎捷软件",
        "https://www.digiwin.com",
        "制造业行业经验丰富，实施顾问多",
        "产品线分散，云化进度慢",
        "",
        ["鼎捷 T100 ERP", "鼎捷 MES"],
    ),
    (
        "华东本地代理商",
        "",
        "价格低，关系近，响应快",
        "技术能力弱，售后不稳定",
        "本地代理商",
        ["代理品牌设备（打包价）"],
    ),
    (
        "思爱普（中国）",
        "https://www.sap.cn",
        "跨国企业标准，集团管控能力强",
        "许可和实施费用高，周期长",
        "",
        ["SAP S/4HANA Cloud", "SAP Business One"],
    ),
]

NOTE_TEMPLATES = [
    ("{c}在华东地区降价约15%", "press", "多家客户反映{c}本季度报价明显下降，疑似冲刺年度业绩。"),
    ("{c}推出新版本", "web", "{c}官网发布新版本，重点宣传信创适配和低代码平台。"),
    ("客户透露{c}的报价", "customer", "采购经理透露{c}的报价比我们低，但交付周期更长。"),
    ("{c}参加行业展会", "event", "展会上{c}展位人气很高，主推一体化解决方案。"),
    ("招标文件偏向{c}", "tender", "招标文件中的技术参数与{c}产品高度吻合，需要尽早澄清。"),
    ("合作伙伴反馈{c}项目延期", "partner", "合作伙伴反馈{c}在某制造企业的项目延期半年。"),
    ("{c}销售团队调整", "internal", "同事听说{c}华东区销售负责人离职，客户关系可能松动。"),
]


@generator(124, "competitors and market intelligence")
def competitors(ctx: DemoContext) -> None:
    from kehu.system.models import Product

    from ..actions.competitors import (
        add_deal_competitor,
        save_competitor,
        save_competitor_product,
        save_intelligence_note,
    )
    from ..models import (
        Competitor,
        CompetitorProduct,
        DealCompetitor,
        IntelligenceNote,
        Opportunity,
    )

    if Competitor.objects.exists() or not Opportunity.objects.exists():
        return
    rng = ctx.rng
    today = timezone.localdate()
    catalogue = list(Product.objects.filter(is_active=True).order_by("pk")[:40])
    rivals: list[Competitor] = []
    by_text: dict[str, Competitor] = {}
    for name, website, strengths, weaknesses, text, products in COMPETITORS:
        rival = save_competitor(
            Competitor(name=name, website=website, strengths=strengths, weaknesses=weaknesses),
            user=None,
        )
        rivals.append(rival)
        if text:
            by_text[text] = rival
        for product_name in products:
            comparable = rng.choice(catalogue) if catalogue else None
            base = (
                comparable.list_price
                if comparable is not None and comparable.list_price
                else Decimal(rng.choice((20_000, 50_000, 120_000, 300_000)))
            )
            price = base * Decimal(str(rng.uniform(0.8, 1.25)))
            # a price seen every few months: the history goes down or up a little each time
            for months_ago in (12, 7, 2)[: rng.choice((1, 2, 3, 3))]:
                save_competitor_product(
                    CompetitorProduct(
                        competitor=rival,
                        name=product_name,
                        product=comparable,
                        price=price,
                        currency="CNY",
                        price_date=today - datetime.timedelta(days=30 * months_ago),
                    ),
                    user=None,
                )
                price = price * Decimal(str(rng.uniform(0.9, 1.05)))
    deals = list(
        Opportunity.objects.select_related("customer", "owner").order_by("pk")[
            : min(400, max(ctx.customers // 10, 40))
        ]
    )
    linked: list[Opportunity] = []
    for deal in deals:
        named = [by_text[t.strip()] for t in deal.competitors.split(",") if t.strip() in by_text]
        if not named and rng.random() < 0.5:
            continue
        chosen = list(dict.fromkeys(named or rng.sample(rivals, k=rng.choice((1, 1, 2)))))
        winner = None
        if deal.status == Opportunity.Status.LOST and rng.random() < 0.7:
            winner = chosen[0]
        for rival in chosen:
            status = DealCompetitor.Status.ACTIVE
            if deal.status == Opportunity.Status.WON:
                status = DealCompetitor.Status.WE_WON
            elif rival == winner:
                status = DealCompetitor.Status.THEY_WON
            offered = None
            if deal.amount and rng.random() < 0.75:
                offered = deal.amount * Decimal(str(rng.uniform(0.75, 1.15)))
            add_deal_competitor(
                opportunity=deal,
                user=None,
                competitor=rival,
                offered_price=offered,
                status=status,
            )
        linked.append(deal)
    for _i in range(min(60, max(len(linked) // 3, 12))):
        rival = rng.choice(rivals)
        title, source, body = rng.choice(NOTE_TEMPLATES)
        deal = rng.choice(linked) if linked and rng.random() < 0.6 else None
        customer = deal.customer if deal else (rng.choice(deals).customer if deals else None)
        owner = deal.owner if deal else (rng.choice(deals).owner if deals else None)
        if owner is None:
            break
        save_intelligence_note(
            IntelligenceNote(
                title=title.format(c=rival.name),
                body=body.format(c=rival.name),
                source=source,
                date=today - datetime.timedelta(days=rng.randint(0, 330)),
                competitor=rival,
                customer=customer,
                opportunity=deal,
                owner=owner,
                department_id=owner.department_id,
            ),
            user=None,
        )
    ctx.out(
        f"  {len(rivals)} competitors, {len(linked)} deals with competitors, "
        f"{IntelligenceNote.objects.count()} notes"
    )
