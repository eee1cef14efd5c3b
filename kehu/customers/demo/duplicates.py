"""Planted duplicates: variants of existing demo customers (typos, traditional characters,
pinyin names, phone formats, region-name variants), then a scan so the review queue is full."""

from __future__ import annotations

import datetime

from kehu.core.actions import bulk_create_audited
from kehu.core.demo import DemoContext, generator

from ..actions import mnemonic_for
from ..actions.matching import Kind, scan_duplicates
from ..matching import company_name, pinyin, to_simplified
from ..models import Contact, Customer

#: One planted variant per this many customers (at most MAX_PLANTED).
SHARE = 40
MAX_PLANTED = 400


def _traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


def _phone_variant(rng, n: str) -> str:
    return rng.choice(
        [f"+86 {n[:3]} {n[3:7]} {n[7:]}", f"0086-{n}", f"{n[:3]}-{n[3:7]}-{n[7:]}", n]
    )


def _name_variant(rng, customer: Customer) -> str:
    name = customer.name
    if customer.kind == Customer.Kind.INDIVIDUAL:
        choice = rng.randrange(3)
        if choice == 0 and len(name) == 3:
            return name[0] + name[2] + name[1]  # transposed
        if choice == 1:
            syl = pinyin(name)
            return f"{syl[0].capitalize()} {''.join(syl[1:]).capitalize()}"
        return _traditional(name)
    cn = company_name(name)
    core = cn.core + cn.descriptor
    return rng.choice(
        [
            f"{core}({cn.region})" if cn.region else f"{core}有限责任公司",
            f"{cn.core}{cn.region}",
            _traditional(name),
            f"{cn.region}市{core}股份有限公司",
            "".join(p.capitalize() for p in pinyin(cn.core)) + " Co., Ltd.",
        ]
    )


@generator(90, "planted duplicates and a duplicate scan")
def duplicates(ctx: DemoContext) -> None:
    rng = ctx.rng
    total = Customer.objects.count()
    if not total or Customer.objects.filter(notes__startswith="[demo duplicate]").exists():
        return
    n = min(MAX_PLANTED, max(1, total // SHARE))
    ids = sorted(rng.sample(list(Customer.objects.values_list("pk", flat=True)), min(n, total)))
    originals = list(Customer.objects.filter(pk__in=ids).order_by("pk"))
    prefix = "D"
    start = Customer.objects.filter(number__startswith=prefix).count()
    rows = []
    for k, c in enumerate(originals):
        name = _name_variant(rng, c)
        # most variants were entered by the same salesperson, some by a colleague
        holder = c if rng.random() < 0.7 else originals[-1 - k]
        rows.append(
            Customer(
                number=f"{prefix}{start + k + 1:08d}",
                name=name,
                mnemonic=mnemonic_for(to_simplified(name)),
                kind=c.kind,
                customer_type=c.customer_type,
                status=c.status,
                phone=_phone_variant(rng, c.phone) if rng.random() < 0.8 else "",
                email=c.email.upper(),
                city=c.city if rng.random() < 0.7 else "",
                address=c.address,
                industry=c.industry,
                level=c.level,
                notes="[demo duplicate] " + c.number,
                registered_on=datetime.date(2026, 1, 1)
                + datetime.timedelta(days=rng.randrange(300)),
                owner_id=holder.owner_id,
                department_id=holder.department_id,
            )
        )
    created = bulk_create_audited(Customer, rows)
    # a copy of the primary contact for some of them (a contact entered twice)
    contacts = []
    for c, dup in zip(originals, created, strict=True):
        primary = c.contacts.order_by("pk").first()
        if primary is None or rng.random() < 0.5:
            continue
        at = dup if rng.random() < 0.5 else c
        contacts.append(
            Contact(
                customer_id=at.pk,
                name=_traditional(primary.name) if rng.random() < 0.5 else primary.name,
                mobile=_phone_variant(rng, primary.mobile),
                email=primary.email.upper(),
                title=primary.title,
                owner_id=at.owner_id,
                department_id=at.department_id,
            )
        )
    bulk_create_audited(Contact, contacts)
    ctx.out(f"  {len(created)} duplicate customers, {len(contacts)} duplicate contacts planted")
    for kind in (Kind.CUSTOMER, Kind.CONTACT):
        result = scan_duplicates(kind=kind, full=True)
        ctx.out(f"  scan {kind}: {result}")
