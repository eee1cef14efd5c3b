"""Demo activities: a year of calls, visits, meetings, e-mails, notes and tasks per customer,
with open and kept commitments and meetings still to come; deterministic for a seed."""

from __future__ import annotations

import datetime

from django.utils import timezone

from kehu.core.actions import bulk_create_audited
from kehu.core.demo import DemoContext, generator

from ..models import Activity, Contact, Customer

SUBJECTS = {
    "call": [
        "电话回访：了解设备使用情况",
        "电话沟通报价细节",
        "确认下季度采购计划",
        "催收上月货款",
        "电话跟进样品试用反馈",
        "新品推介电话",
    ],
    "visit": [
        "上门拜访采购部",
        "现场考察生产线",
        "拜访总经理，沟通年度合作",
        "售后上门巡检",
        "陪同技术人员现场调试",
    ],
    "meeting": [
        "年度框架协议谈判",
        "技术方案评审会",
        "项目启动会",
        "季度业务回顾会",
        "商务条款沟通会",
    ],
    "email": [
        "发送产品目录和报价单",
        "邮件确认合同条款",
        "发送验收报告",
        "邮件回复技术咨询",
    ],
    "note": [
        "客户反馈交货期偏长",
        "客户有扩产计划，关注二期需求",
        "竞争对手也在接触该客户",
        "客户财务流程调整，付款周期变长",
    ],
    "task": [
        "准备投标文件",
        "整理客户需求清单",
        "安排样品寄送",
        "提交特价申请",
        "更新客户档案",
    ],
}
OUTCOMES = [
    "客户态度积极，下周给答复",
    "已确认需求，等待内部审批",
    "价格仍有分歧，需再次沟通",
    "客户满意，同意续签",
    "暂无采购计划，三个月后再跟进",
    "",
]
COMMITMENTS = [
    "答应给予5%的折扣",
    "承诺周五前发送正式报价",
    "承诺两周内安排工程师上门",
    "答应免费提供样品",
    "承诺月底前完成交货",
    "答应延长保修期一年",
]
LOCATIONS = ["客户会议室", "我司展厅", "线上会议", "客户工厂", ""]
KINDS = ["call"] * 5 + ["visit"] * 2 + ["meeting"] * 2 + ["email"] * 2 + ["note", "task"]


@generator(40, "activities")
def activities(ctx: DemoContext) -> None:
    """About four activities per customer over the last year, a tenth of them still to come."""
    rng = ctx.rng
    if Activity.objects.exists() or not Customer.objects.exists():
        return
    now = timezone.now().replace(second=0, microsecond=0)
    today = timezone.localdate()
    ids = list(Customer.objects.order_by("pk").values_list("pk", "owner_id", "department_id"))
    total = 0
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        contacts: dict[int, list[int]] = {}
        for customer_id, contact_id in Contact.objects.filter(
            customer_id__in=[c[0] for c in chunk]
        ).values_list("customer_id", "pk"):
            contacts.setdefault(customer_id, []).append(contact_id)
        batch: list[Activity] = []
        links: list[list[int]] = []
        for customer_id, owner_id, department_id in chunk:
            for _i in range(rng.choice((1, 2, 3, 3, 4, 4, 5, 6, 8))):
                kind = rng.choice(KINDS)
                future = rng.random() < 0.1
                if future:
                    when = now + datetime.timedelta(
                        days=rng.randrange(0, 45), hours=rng.randrange(-6, 8)
                    )
                else:
                    when = now - datetime.timedelta(
                        days=rng.randrange(0, 365), hours=rng.randrange(0, 10)
                    )
                when = when.replace(minute=rng.choice((0, 15, 30, 45)))
                if future:
                    status = Activity.Status.PLANNED
                elif rng.random() < 0.05:
                    status = Activity.Status.CANCELLED
                elif kind == "task" and rng.random() < 0.2:
                    status = Activity.Status.PLANNED  # an overdue task
                else:
                    status = Activity.Status.DONE
                commitment, due, kept, reminded_for = "", None, False, None
                if kind in ("call", "visit", "meeting") and rng.random() < 0.18:
                    commitment = rng.choice(COMMITMENTS)
                    due = timezone.localtime(when).date() + datetime.timedelta(
                        days=rng.randrange(2, 15)
                    )
                    kept = due < today and rng.random() < 0.75
                    if not kept and due < today - datetime.timedelta(days=7):
                        reminded_for = due  # long overdue: do not flood the demo inboxes
                duration = {"visit": 90, "meeting": 60, "call": 15}.get(kind)
                reminder = 30 if future and kind in ("visit", "meeting") else None
                activity = Activity(
                    customer_id=customer_id,
                    owner_id=owner_id,
                    department_id=department_id,
                    kind=kind,
                    subject=rng.choice(SUBJECTS[kind]),
                    start_at=when,
                    end_at=when + datetime.timedelta(minutes=duration) if duration else None,
                    location=rng.choice(LOCATIONS) if kind in ("visit", "meeting") else "",
                    status=status,
                    outcome=rng.choice(OUTCOMES) if status == Activity.Status.DONE else "",
                    commitment=commitment,
                    commitment_due=due,
                    commitment_kept=kept,
                    commitment_reminded_for=reminded_for,
                    reminder_minutes=reminder,
                    completed_at=when if status == Activity.Status.DONE else None,
                    created_at=min(when, now),
                )
                activity.remind_at = activity.compute_remind_at()
                batch.append(activity)
                people = contacts.get(customer_id) or []
                links.append(
                    rng.sample(people, k=min(len(people), rng.choice((0, 1, 1, 2))))
                    if people
                    else []
                )
        created = bulk_create_audited(Activity, batch)
        Through = Activity.contacts.through
        Through.objects.bulk_create(
            [
                Through(activity_id=a.pk, contact_id=contact_id)
                for a, people in zip(created, links, strict=True)
                for contact_id in people
            ],
            batch_size=5000,
        )
        total += len(created)
        ctx.out(f"  {min(start + 2000, len(ids)):,} / {len(ids):,} customers, {total:,} activities")
