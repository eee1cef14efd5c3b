"""Test factories: org (see kehu.core.testing.factory)."""

from __future__ import annotations

import itertools

from kehu.core.testing import factory
from kehu.system.actions import create_department, create_employee
from kehu.system.models import Department, User

_seq = itertools.count(1)


@factory("system.department")
def department(owner, n: int = 1, **kw) -> Department:
    """A department under the owner's own department; the code is unique on every call."""
    k = next(_seq)
    return create_department(
        name=kw.pop("name", f"测试部门{n}-{k}"),
        code=kw.pop("code", f"T{n}-{k}"),
        parent=kw.pop("parent", owner.department if owner is not None else None),
        kind=kw.pop("kind", Department.Kind.TEAM),
    )


@factory("system.user")
def employee(owner, n: int = 1, **kw) -> User:
    """An employee in the owner's department (no roles: the generic form round trip posts
    roles as primary keys only when there are none to stringify)."""
    k = next(_seq)
    user = create_employee(
        username=kw.pop("username", f"emp{n}-{k}"),
        password=kw.pop("password", None),
        display_name=kw.pop("display_name", f"员工{n}-{k}"),
        department=kw.pop("department", owner.department if owner is not None else None),
        title=kw.pop("title", "销售代表"),
    )
    for key, value in kw.items():
        setattr(user, key, value)
    if kw:
        user.save()
    return user
