"""Factories of requests, service contracts, installed goods, SLA policies and agent profiles
(the route matrix probes each owned type)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from kehu.core.testing import copy_tweak, factory

PRIORITIES = ("low", "normal", "high", "urgent")
LEVELS = ("gold", "silver", "bronze")


def product(code: str = "P-SVC-1"):
    from kehu.system.models import Product, ProductCategory

    obj = Product.objects.filter(code=code).first()
    if obj is None:
        cat = ProductCategory.objects.filter(code="SVC").first()
        if cat is None:
            cat = ProductCategory(code="SVC", name="服务类别")
            cat.save()
        obj = Product(code=code, name=f"产品{code}", list_price=Decimal("100"), category=cat)
        obj.save()
    return obj


def _customer(owner, n, prefix, kw):
    from kehu.customers.tests.factories import customer

    return kw.pop("customer", None) or customer(
        owner, n, number=f"{prefix}{owner.pk:04d}{n:05d}", name=f"{prefix}客户{owner.pk}-{n}"
    )


@factory("service.servicerequest")
def service_request(owner, n: int = 1, **kw):
    from kehu.service.models import ServiceRequest

    obj = ServiceRequest(
        number=kw.pop("number", f"SR-T{owner.pk:04d}-{n:05d}"),
        customer=_customer(owner, n, "SR", kw),
        subject=kw.pop("subject", f"服务请求{owner.pk}-{n}"),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


@factory("service.servicecontract")
def service_contract(owner, n: int = 1, **kw):
    from kehu.service.models import ServiceContract

    obj = ServiceContract(
        number=kw.pop("number", f"FW-T{owner.pk:04d}-{n:05d}"),
        customer=_customer(owner, n, "FW", kw),
        level=kw.pop("level", "gold"),
        start_date=kw.pop("start_date", datetime.date(2026, 1, 1)),
        end_date=kw.pop("end_date", datetime.date(2026, 12, 31)),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


@factory("service.installedproduct")
def installed_product(owner, n: int = 1, **kw):
    from kehu.service.models import InstalledProduct

    obj = InstalledProduct(
        customer=_customer(owner, n, "IP", kw),
        product=kw.pop("product", None) or product(),
        serial_number=kw.pop("serial_number", f"SN{owner.pk:04d}{n:06d}"),
        installed_on=kw.pop("installed_on", datetime.date(2026, 1, 5)),
        warranty_end=kw.pop("warranty_end", datetime.date(2027, 1, 4)),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


def _level(n: int) -> str:
    """A service level for the n-th policy: the built-in three, then levels of its own (one
    policy per level and priority, and the list tests make many)."""
    if n // 4 < len(LEVELS):
        return LEVELS[n // 4]
    from kehu.system.models import DictionaryItem

    code = f"level{n // 4}"
    if not DictionaryItem.objects.filter(dictionary="service_level", code=code).exists():
        DictionaryItem(dictionary="service_level", code=code, label_zh=f"级别{n // 4}").save()
    return code


@factory("service.slapolicy")
def sla_policy(owner, n: int = 1, **kw):
    from kehu.service.models import SlaPolicy

    obj = SlaPolicy(
        name=kw.pop("name", f"SLA {owner.pk}-{n}"),
        level=kw.pop("level", None) or _level(n),
        priority=kw.pop("priority", PRIORITIES[n % 4]),
        response_hours=kw.pop("response_hours", Decimal("2")),
        resolution_hours=kw.pop("resolution_hours", Decimal("8")),
        **kw,
    )
    obj.save()
    return obj


@factory("service.agentprofile")
def agent_profile(owner, n: int = 1, **kw):
    from kehu.service.models import AgentProfile
    from kehu.system.actions import create_employee

    user = kw.pop("user", None) or create_employee(
        username=f"agent{owner.pk}x{n}", password="pw-Kehu-123", department=owner.department
    )
    obj = AgentProfile(user=user, **kw)
    obj.save()
    return obj


@copy_tweak("service.slapolicy")
def _another_policy(data: dict, owner, n: int) -> dict:
    """One policy per level and priority: the copy takes the next priority."""
    current = PRIORITIES.index(data["priority"]) if data.get("priority") in PRIORITIES else 0
    return {**data, "priority": PRIORITIES[(current + 1) % 4]}


@copy_tweak("service.agentprofile")
def _another_agent(data: dict, owner, n: int) -> dict:
    """One profile per user: the copy is for another employee."""
    from kehu.system.actions import create_employee

    user = create_employee(
        username=f"agentcopy{owner.pk}x{n}", password="pw-Kehu-123", department=owner.department
    )
    return {**data, "user": user.pk}
