"""Demo custom fields (自定义字段) on customers and contacts, and the values demo records get.

Definitions of every kind with Chinese and English labels; values are drawn from a random
generator of their own (the demo's other data stays what it was for a seed) and set on the
records before their bulk insert, so they cost no extra query.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from kehu.core.demo import DemoContext, generator

CUSTOMER, CONTACT = "customers.customer", "customers.contact"

#: 客户来源: codes of the "customer_source" dictionary (the customer's ``source`` field), weights.
SOURCES = [
    ("exhibition", 18),
    ("website", 22),
    ("referral", 20),
    ("cold_call", 12),
    ("partner", 12),
    ("advertising", 8),
]
ROLES = [
    ("decision", "决策者", "Decision maker"),
    ("influencer", "影响者", "Influencer"),
    ("user", "使用者", "User"),
    ("gatekeeper", "把关者", "Gatekeeper"),
]
COMPETITORS = ["用友", "金蝶", "纷享销客", "销售易", "Salesforce", "自建系统", "Excel 表格"]

#: (object type, code, Chinese label, English label, kind, extra attributes)
FIELDS: list[tuple[str, str, str, str, str, dict[str, Any]]] = [
    (
        CUSTOMER,
        "annual_purchase",
        "年采购额（万元）",
        "Annual purchases (10k CNY)",
        "number",
        {"min_value": 0, "show_in_list": True, "filterable": True},
    ),
    (CUSTOMER, "first_deal_on", "首次合作日期", "First deal on", "date", {"filterable": True}),
    (CUSTOMER, "listed", "是否上市", "Listed company", "boolean", {"filterable": True}),
    (
        CUSTOMER,
        "competitor",
        "现用系统/竞争对手",
        "Current system / competitor",
        "text",
        {"filterable": True},
    ),
    (
        CONTACT,
        "decision_role",
        "决策角色",
        "Decision role",
        "choice",
        {
            "choices": [{"code": c, "label_zh": zh, "label_en": en} for c, zh, en in ROLES],
            "filterable": True,
        },
    ),
    (CONTACT, "wechat_id", "微信号", "WeChat ID", "text", {"searchable": True}),
]


@generator(25, "custom fields")
def custom_fields(ctx: DemoContext) -> None:
    """The demo definitions, unless the customers or contacts already have custom fields."""
    from kehu.system.actions import save_custom_field
    from kehu.system.models import CustomField

    if CustomField.objects.filter(object_type__in=(CUSTOMER, CONTACT)).exists():
        return
    for order, (object_type, code, zh, en, kind, extra) in enumerate(FIELDS, 1):
        save_custom_field(
            field=CustomField(
                object_type=object_type,
                code=code,
                label_zh=zh,
                label_en=en,
                kind=kind,
                order=order * 10,
                **extra,
            )
        )
    ctx.data["custom_values"] = random.Random(f"{ctx.seed}-custom")


def customer_values(ctx: DemoContext, company: bool, registered_on: datetime.date) -> dict:
    """Custom values of one demo customer (empty unless the demo created the definitions):
    most have a source; companies often a purchase volume, a first deal, a listing flag."""
    rng = ctx.data.get("custom_values")
    if rng is None:
        return {}
    values: dict[str, Any] = {}
    r = rng.random
    if r() < 0.75:
        values["source"] = rng.choices(SOURCES, weights=[s[1] for s in SOURCES])[0][0]
    if company:
        if r() < 0.6:
            values["annual_purchase"] = round(rng.lognormvariate(4, 1.2), 1)
        if r() < 0.5:
            day = registered_on + datetime.timedelta(days=rng.randrange(30, 900))
            values["first_deal_on"] = min(day, datetime.date(2026, 6, 30)).isoformat()
        if r() < 0.7:
            values["listed"] = r() < 0.08
        if r() < 0.3:
            values["competitor"] = rng.choice(COMPETITORS)
    return values


def contact_values(ctx: DemoContext) -> dict:
    rng = ctx.data.get("custom_values")
    if rng is None:
        return {}
    values: dict[str, Any] = {}
    if rng.random() < 0.6:
        values["decision_role"] = rng.choice(ROLES)[0]
    if rng.random() < 0.4:
        values["wechat_id"] = f"wxid_{rng.randrange(16**10):010x}"
    return values
