from kehu.core.testing import factory
from tests.plugin_app.models import Gadget


@factory("plugin_app.gadget")
def gadget(owner, n: int = 1, **kw) -> Gadget:
    obj = Gadget(
        name=kw.pop("name", f"小工具{owner.pk}-{n}"),
        owner=owner,
        department=owner.department,
        **kw,
    )
    obj.save()
    return obj
