"""Demo e-mail: a few customers' contacts write to the service mailbox (through the real intake,
so requests open, answers thread in and files are checked), an agent's reply is on record, a
stranger's message opens a request flagged *unknown sender* and an out-of-office reply is
rejected. Deterministic for a seed; a second run adds nothing."""

from __future__ import annotations

import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from kehu.core.demo import DemoContext, generator

THREADS = 12
ASKS = [
    (
        "打印机频繁卡纸",
        "您好，我们办公室的打印机这周开始频繁卡纸，第二层纸盒尤其严重，麻烦安排检查。",
    ),
    ("设备开机报警 E23", "早上开机后设备一直报警 E23，已经重启两次，仍然无法正常运行。"),
    ("如何导出月度报表", "请问系统里的月度报表在哪里导出？我们需要给财务发一份。"),
    ("配件还没有收到", "上周订的配件到现在还没有收到，物流信息也没有更新，请帮忙查一下。"),
    ("发票抬头需要更正", "收到的服务费发票抬头写错了，需要重新开具，正确抬头见附件。"),
]
ANSWERS = [
    "谢谢，按你们说的换了纸盒以后好多了。",
    "工程师明天几点能到？我们上午有会议。",
    "问题还在，今天又出现了两次。",
]
REPLY = (
    "您好，已收到您的问题，我们的工程师会在一个工作日内与您联系。如需补充信息，请直接回复本邮件。"
)


def _message(*, sender, subject, text, when, mid, in_reply_to="", headers=None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "service@kehu.example.cn"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = mid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    return msg.as_bytes()


@generator(145, "service requests from e-mail, with replies")
def service_mail(ctx: DemoContext) -> None:
    from kehu.customers.models import Contact
    from kehu.service.actions.mail import match_sender, receive_message
    from kehu.service.actions.requests import move_request
    from kehu.service.models import InboundMessage, OutboundMessage, ServiceRequest

    S = ServiceRequest.Status

    if InboundMessage.objects.exists():
        return
    rng = ctx.rng
    candidates = list(
        Contact.objects.exclude(email="")
        .filter(customer__deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:400]
    )
    if not candidates:
        return
    now = timezone.now()
    picked = rng.sample(candidates, min(THREADS * 2, len(candidates)))
    made = 0
    for n, pk in enumerate(picked):
        if made >= THREADS:
            break
        contact = Contact.objects.select_related("customer").get(pk=pk)
        address = contact.email.strip().lower()
        if match_sender(address).contact is None:
            continue  # an address shared by several customers' contacts: no clean demo
        made += 1
        subject, text = ASKS[n % len(ASKS)]
        when = now - datetime.timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 600))
        first_id = f"<demo.{ctx.seed}.{n}.1@mail.example.cn>"
        raw = _message(
            sender=f"{contact.name} <{address}>",
            subject=subject,
            text=f"{text}\n\n{contact.name}\n{contact.customer.name}",
            when=when,
            mid=first_id,
        )
        intake = receive_message(raw=raw, now=when)
        req = intake.request
        if req is None or n % 3 == 2:
            continue  # some requests have had no answer yet
        sent_at = when + datetime.timedelta(hours=rng.randint(1, 6))
        out = OutboundMessage.objects.create(
            request=req,
            message_id=f"<kehu.{req.pk}.demo{ctx.seed}x{n}@kehu.example.cn>",
            in_reply_to=first_id,
            references=first_id,
            from_address="service@kehu.example.cn",
            to=address,
            subject=f"Re: {subject} [{req.number}]",
            text=REPLY,
            sent_by=req.agent or req.owner,
            sent_at=sent_at,
        )
        # the agent's reply answered the customer: in progress, or waiting on their answer
        move_request(req, S.WAITING if n % 2 == 0 else S.IN_PROGRESS, user=None, now=sent_at)
        if n % 2 == 0:
            answer = _message(
                sender=f"{contact.name} <{address}>",
                subject=f"Re: {subject} [{req.number}]",
                text=ANSWERS[n % len(ANSWERS)],
                when=sent_at + datetime.timedelta(hours=rng.randint(1, 20)),
                mid=f"<demo.{ctx.seed}.{n}.2@mail.example.cn>",
                in_reply_to=out.message_id,
            )
            receive_message(raw=answer, now=sent_at + datetime.timedelta(hours=21))
    stranger = _message(
        sender="王先生 <wang.xiansheng@example.net>",
        subject="想咨询一下设备维保价格",
        text="您好，我们公司有三台设备想签维保合同，请问价格怎么算？",
        when=now - datetime.timedelta(hours=5),
        mid=f"<demo.{ctx.seed}.stranger@example.net>",
    )
    receive_message(raw=stranger, now=now - datetime.timedelta(hours=5))
    away = _message(
        sender="auto@example.net",
        subject="自动回复：休假中",
        text="我正在休假，10 月 8 日返回。",
        when=now - datetime.timedelta(hours=2),
        mid=f"<demo.{ctx.seed}.away@example.net>",
        headers={"Auto-Submitted": "auto-replied"},
    )
    receive_message(raw=away, now=now - datetime.timedelta(hours=2))
