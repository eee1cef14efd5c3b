"""Departments and employees."""

from __future__ import annotations

from django.db import transaction

from ..models import Department, Role, User


@transaction.atomic
def create_department(*, name: str, code: str, parent: Department | None = None) -> Department:
    dept = Department(name=name, code=code, parent=parent)
    dept.save()
    return dept


@transaction.atomic
def create_employee(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    department: Department | None = None,
    roles: list[Role] | tuple = (),
    manager: User | None = None,
    title: str = "",
    is_superuser: bool = False,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        department=department,
        manager=manager,
        title=title,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    if password and password.startswith(("pbkdf2_", "argon2", "bcrypt", "md5$")):
        user.password = password  # an already-hashed password (demo data)
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if roles:
        user.roles.add(*roles)
    return user


__all__ = ["create_department", "create_employee"]
