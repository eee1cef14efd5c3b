"""Test factories: roles (see kehu.core.testing.factory)."""

from __future__ import annotations

import itertools

from kehu.core.testing import factory
from kehu.system.models import Role

_serial = itertools.count(1)


@factory("system.role")
def role(owner, n: int = 1, **kw) -> Role:
    """A saved role with a unique name (roles are not owned: ``owner`` only makes it unique)."""
    obj = Role(
        name=kw.pop("name", f"测试角色{owner.pk}-{n}-{next(_serial)}"),
        description=kw.pop("description", "测试"),
        **kw,
    )
    obj.save()
    return obj
