from kehu.core.testing import factory
from kehu.customers.models import Customer


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
