"""What one user may see and edit: evaluated once per request and cached on the user object.

A user's data scope for an object type is the widest over their roles; the restricted queryset turns
it into a filter. Permission evaluation costs a constant number of queries per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from kehu.core.permissions import Access, DataScope


@dataclass
class UserAccess:
    user_id: int
    department_id: int | None
    department_path: str = ""
    ancestor_ids: list[int] = field(default_factory=list)  # own department and those above it
    role_ids: list[int] = field(default_factory=list)
    scopes: dict[str, tuple[DataScope, DataScope]] = field(default_factory=dict)
    default_scope: tuple[DataScope, DataScope] = (DataScope.NONE, DataScope.NONE)
    shared_types: set[int] = field(default_factory=set)  # content types with records shared to me
    permissions: frozenset[str] = frozenset()  # "app.codename" of every role held
    _subtree: list[int] | None = None

    def scope(self, model, access: Access) -> DataScope:
        label = getattr(model, "data_scope_label", None) or model._meta.label_lower
        view, edit = self.scopes.get(label, self.default_scope)
        return view if access == Access.VIEW else edit

    def __post_init__(self) -> None:
        self._subtree = None

    def subtree_ids(self) -> list[int]:
        if self._subtree is None:
            from .models import Department

            if self.department_id is None:
                self._subtree = []
            else:
                self._subtree = list(
                    Department.objects.filter(path__startswith=self.department_path).values_list(
                        "pk", flat=True
                    )
                )
        return self._subtree

    def shared(self, model, access: Access) -> Q | None:
        """Records of ``model`` shared with this user or one of their departments."""
        from django.contrib.contenttypes.models import ContentType

        from .models import RecordShare

        ct = ContentType.objects.get_for_model(model)
        if ct.pk not in self.shared_types:
            return None
        shares = RecordShare.objects.filter(content_type=ct).filter(
            Q(user_id=self.user_id) | Q(department_id__in=self.ancestor_ids)
        )
        if access == Access.EDIT:
            shares = shares.filter(can_edit=True)
        return Q(pk__in=shares.values("object_id"))

    def condition(self, model, access: Access, *, shares: bool = True) -> Q | bool | None:
        """A filter for ``model`` (``None``: everything, ``False``: nothing); ``shares=False``
        leaves out the records shared with the user (their roles' data scope only)."""
        owner, dept = model.owner_path, model.department_path
        if owner is None:
            return None
        scope = self.scope(model, access)
        if scope == DataScope.ALL:
            return None
        shared = self.shared(model, access) if shares else None
        if scope == DataScope.NONE:
            return shared if shared is not None else False
        cond = Q(**{owner: self.user_id})
        if scope == DataScope.DEPARTMENT and self.department_id and dept:
            cond |= Q(**{dept: self.department_id})
        elif scope == DataScope.SUBTREE and self.department_id and dept:
            cond |= Q(**{f"{dept}__in": self.subtree_ids()})
        return cond | shared if shared is not None else cond


def compute_access(user) -> UserAccess:
    """Roles held directly or through a department (and departments above it), their scopes,
    and which object types have records shared with the user: a constant handful of queries."""
    from .models import Department, RecordShare, Role, RoleDataScope

    access = UserAccess(user_id=user.pk, department_id=user.department_id)
    if user.department_id:
        dept = Department.objects.only("path").get(pk=user.department_id)
        access.department_path = dept.path
        access.ancestor_ids = list(
            Department.objects.filter(path__in=dept.ancestor_paths()).values_list("pk", flat=True)
        )
    role_ids = list(
        Role.objects.filter(Q(users=user) | Q(departments__in=access.ancestor_ids))
        .distinct()
        .values_list("pk", "default_view_scope", "default_edit_scope")
    )
    access.role_ids = [r[0] for r in role_ids]
    if access.role_ids:
        from django.contrib.auth.models import Permission

        access.permissions = frozenset(
            f"{app}.{codename}"
            for app, codename in Permission.objects.filter(roles__in=access.role_ids)
            .values_list("content_type__app_label", "codename")
            .distinct()
        )
    access.shared_types = set(
        RecordShare.objects.filter(Q(user=user) | Q(department_id__in=access.ancestor_ids))
        .values_list("content_type_id", flat=True)
        .distinct()
    )
    if role_ids:
        access.default_scope = (
            DataScope.widest(r[1] for r in role_ids),
            DataScope.widest(r[2] for r in role_ids),
        )
    # Per object type, each role contributes its override or else its defaults; the user gets
    # the widest, with edit never wider than view within one role.
    overrides: dict[str, dict[int, tuple[str, str]]] = {}
    for role_id, object_type, view, edit in RoleDataScope.objects.filter(
        role_id__in=access.role_ids
    ).values_list("role_id", "object_type", "view_scope", "edit_scope"):
        overrides.setdefault(object_type, {})[role_id] = (view, edit)
    for object_type, by_role in overrides.items():
        views, edits = [], []
        for pk, default_view, default_edit in role_ids:
            view, edit = by_role.get(pk, (default_view, default_edit))
            if DataScope.rank(edit) > DataScope.rank(view):
                edit = view
            views.append(view)
            edits.append(edit)
        access.scopes[object_type] = (DataScope.widest(views), DataScope.widest(edits))
    return access


ACCESS_VERSION_KEY = "kehu:access:version"


def access_version() -> int:
    from django.core.cache import cache

    version = cache.get(ACCESS_VERSION_KEY)
    if version is None:
        cache.add(ACCESS_VERSION_KEY, 1, timeout=None)
        version = cache.get(ACCESS_VERSION_KEY) or 1
    return version


#: User fields whose change never affects anyone's access (logins write these constantly).
IRRELEVANT_USER_FIELDS = frozenset(
    {
        "last_login",
        "failed_logins",
        "locked_until",
        "password",
        "version",
        "updated_at",
        "updated_by",
    }
)


def invalidate_access(sender=None, update_fields=None, **_kwargs) -> None:
    """Any change to roles, scopes, shares, departments or people: every user's access is
    recomputed on their next request, in every process (the version lives in the shared cache)."""
    from django.core.cache import cache
    from django.db import transaction

    if update_fields and set(update_fields) <= IRRELEVANT_USER_FIELDS:
        return

    def bump():
        try:
            cache.incr(ACCESS_VERSION_KEY)
        except ValueError:
            cache.set(ACCESS_VERSION_KEY, 2, timeout=None)

    bump()
    transaction.on_commit(bump)  # and again once the change is visible to other processes


def get_access(user) -> UserAccess:
    """The user's access: per request on the user object, across requests in the shared cache
    (zero queries in the steady state), recomputed after any permission-relevant change."""
    cached = getattr(user, "_kehu_access", None)
    if cached is None:
        from django.core.cache import cache

        key = f"kehu:access:{user.pk}:{access_version()}"
        cached = cache.get(key)
        if cached is None or cached.department_id != user.department_id:
            cached = compute_access(user)
            cache.set(key, cached, timeout=3600)
        user._kehu_access = cached
    return cached


def people_in_scope(user, model, access: Access):
    """Employees who can own records of ``model`` that ``user`` reaches (for filter choices)."""
    from .models import User

    people = User.objects.only("id", "username", "display_name", "first_name", "last_name")
    if user.is_superuser:
        return people.filter(is_active=True)
    ua = get_access(user)
    scope = ua.scope(model, access)
    if scope == DataScope.ALL:
        return people.filter(is_active=True)
    if scope == DataScope.NONE:
        return people.none()
    if scope == DataScope.OWN or ua.department_id is None:
        return people.filter(pk=user.pk)
    if scope == DataScope.DEPARTMENT:
        return people.filter(Q(department_id=ua.department_id) | Q(pk=user.pk))
    return people.filter(Q(department_id__in=ua.subtree_ids()) | Q(pk=user.pk))


def departments_in_scope(user, model, access: Access):
    from .models import Department

    depts = Department.objects.only("id", "name", "path")
    if user.is_superuser:
        return depts
    ua = get_access(user)
    scope = ua.scope(model, access)
    if scope == DataScope.ALL:
        return depts
    if scope in (DataScope.NONE,) or ua.department_id is None:
        return depts.none()
    if scope == DataScope.OWN or scope == DataScope.DEPARTMENT:
        return depts.filter(pk=ua.department_id)
    return depts.filter(pk__in=ua.subtree_ids())


def employees_in_scope(user, access: Access = Access.VIEW):
    """Employees whose own trail (logins, exports, their employee record) ``user`` reaches: the
    user's scope applied to people by department, themselves always; ``None`` means everyone.
    Departed employees are included: their history stays readable."""
    from .models import User

    ua = get_access(user)
    scope = ua.scope(User, access)
    if user.is_superuser or scope == DataScope.ALL:
        return None
    people = User.objects.all()
    if scope in (DataScope.NONE, DataScope.OWN) or ua.department_id is None:
        return people.filter(pk=user.pk)
    if scope == DataScope.DEPARTMENT:
        return people.filter(Q(department_id=ua.department_id) | Q(pk=user.pk))
    return people.filter(Q(department_id__in=ua.subtree_ids()) | Q(pk=user.pk))
