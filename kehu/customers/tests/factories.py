from kehu.core.testing import factory
from kehu.customers.models import Contact, Customer


@factory("customers.customer")
def customer(owner, n: int = 1, **kw) -> Customer:
    obj = Customer(
        number=kw.pop("number", f"F{owner.pk:04d}{n:05d}"),
        name=kw.pop("name", f"测试客户{owner.pk}-{n}"),
        city=kw.pop("city", "上海"),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj


@factory("customers.contact")
def contact(owner, n: int = 1, **kw) -> Contact:
    """A contact of a new customer owned by ``owner`` (unless ``customer`` is given)."""
    cust = kw.pop("customer", None) or customer(owner, n, name=f"联系人客户{owner.pk}-{n}")
    obj = Contact(
        customer=cust,
        name=kw.pop("name", f"联系人{owner.pk}-{n}"),
        title=kw.pop("title", "采购经理"),
        mobile=kw.pop("mobile", f"138{owner.pk:04d}{n:04d}"),
        owner_id=cust.owner_id,
        department_id=cust.department_id,
        **kw,
    )
    obj.save()
    return obj


@factory("customers.activity")
def activity(owner, n: int = 1, **kw):
    """An activity with a new customer owned by ``owner`` (unless ``customer`` is given)."""
    import datetime

    from django.utils import timezone

    from kehu.customers.models import Activity

    cust = kw.pop("customer", None) or customer(
        owner, n, number=f"A{owner.pk:04d}{n:05d}", name=f"活动客户{owner.pk}-{n}"
    )
    obj = Activity(
        customer=cust,
        kind=kw.pop("kind", Activity.Kind.CALL),
        subject=kw.pop("subject", f"电话回访{owner.pk}-{n}"),
        start_at=kw.pop("start_at", timezone.now() - datetime.timedelta(hours=n)),
        status=kw.pop("status", Activity.Status.DONE),
        owner=kw.pop("activity_owner", owner),
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj
