"""System set-up (系统初始设置): departments, employees (the user model), roles and data scopes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, Permission, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.audit import unaudited_write
from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel, RestrictedQuerySet
from kehu.core.permissions import SPECIAL_PERMISSION_LABELS, DataScope
from kehu.core.tree import TreeNode


class DepartmentQuerySet(RestrictedQuerySet):
    def subtree_of(self, department: Department) -> DepartmentQuerySet:
        return self.filter(path__startswith=department.path)

    def active(self) -> DepartmentQuerySet:
        return self.filter(is_active=True)


class Department(TreeNode):
    """A node in the department tree (部门): group > company > branch > office > team, any depth."""

    class Kind(models.TextChoices):
        GROUP = "group", _("Group")
        COMPANY = "company", _("Company")
        BRANCH = "branch", _("Branch")
        OFFICE = "office", _("Office")
        FACTORY = "factory", _("Factory")
        WORKSHOP = "workshop", _("Workshop")
        TEAM = "team", _("Team")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TEAM)
    is_active = models.BooleanField(_("active"), default=True)

    objects = DepartmentQuerySet.as_manager()

    cycle_message = _("A department cannot be moved under itself or one of its sub-departments.")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]
        # keyset pagination: every sortable column paired with id
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["code", "id"]),
        ]

    def __str__(self) -> str:
        return self.name

    def picker_context(self) -> str:
        """A department in a picker (``core.pickers``): the one above it."""
        return self.parent.name if self.parent_id else ""


class EmployeeManager(UserManager.from_queryset(RestrictedQuerySet)):
    """Django's user manager with ``visible_to``/``editable_by`` like every other model."""

    use_in_migrations = True


class User(AbstractUser, BaseModel):
    """Every CRM user is an employee (员工): in a department, with a manager and roles."""

    display_name = models.CharField(pgettext_lazy("person", "name"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    roles = models.ManyToManyField(
        "Role", verbose_name=_("roles"), blank=True, related_name="users"
    )
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = EmployeeManager()

    audit_exclude = ("updated_at", "updated_by", "version", "password", "last_login")
    #: Login bookkeeping: written on every login attempt, so never through the optimistic lock.
    BOOKKEEPING_FIELDS = frozenset({"last_login", "failed_logins", "locked_until"})

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["username"]
        # keyset pagination: every sortable column paired with id
        indexes = [
            models.Index(fields=["username", "id"]),
            models.Index(fields=["display_name", "id"]),
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def picker_context(self) -> str:
        """A person in a picker (``core.pickers``): department and title tell apart two
        colleagues of the same name (the department is in the type's ``select_related``)."""
        parts = [self.department.name if self.department_id else "", self.title]
        if not self.is_active:
            parts.append(str(_("inactive")))
        return " · ".join(p for p in parts if p)

    def save(self, *args, **kwargs) -> None:
        """A save of bookkeeping columns only (Django's ``update_last_login`` after every login)
        is a plain ``UPDATE`` of those columns: two parallel logins of one user must not collide
        in the optimistic lock, bump the version under a form someone has open, or audit noise."""
        fields = kwargs.get("update_fields")
        if fields is not None and not self._state.adding and set(fields) <= self.BOOKKEEPING_FIELDS:
            with unaudited_write("login bookkeeping"):
                type(self)._base_manager.filter(pk=self.pk).update(
                    **{name: getattr(self, name) for name in fields}
                )
            return
        super().save(*args, **kwargs)

    def check_password(self, raw_password: str) -> bool:
        """Django's check, but a hash upgraded to the current hasher on login (same password) is
        written with a plain ``UPDATE`` too, for the same reason as ``save`` above."""
        from django.contrib.auth.hashers import check_password

        def rehash(raw: str) -> None:
            self.set_password(raw)
            self._password = None
            with unaudited_write("password hash upgraded on login, same password"):
                type(self)._base_manager.filter(pk=self.pk).update(password=self.password)

        return check_password(raw_password, self.password, rehash)


class Role(BaseModel):
    """A role: functional and special permissions plus a data scope per object type."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    permissions = models.ManyToManyField(
        Permission, verbose_name=_("permissions"), blank=True, related_name="roles"
    )
    default_view_scope = models.CharField(
        _("default view scope"), max_length=12, choices=DataScope.choices, default=DataScope.OWN
    )
    default_edit_scope = models.CharField(
        _("default edit scope"), max_length=12, choices=DataScope.choices, default=DataScope.OWN
    )
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments"),
        blank=True,
        related_name="roles",
        help_text=_("Members of these departments and their sub-departments hold the role."),
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]
        # keyset pagination: every sortable column paired with id
        indexes = [
            models.Index(fields=["name", "id"]),
        ]
        permissions = list(SPECIAL_PERMISSION_LABELS.items())

    def __str__(self) -> str:
        # The default roles are stored under a code; show their name in the user's language.
        from .actions.roles import DEFAULT_ROLES

        default = DEFAULT_ROLES.get(self.name)
        return str(default[0]) if default else self.name


class RoleDataScope(models.Model):
    """The data scope (数据权限) of a role for one object type; edit never wider than view."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="data_scopes")
    object_type = models.CharField(_("object type"), max_length=100)
    view_scope = models.CharField(_("view scope"), max_length=12, choices=DataScope.choices)
    edit_scope = models.CharField(_("edit scope"), max_length=12, choices=DataScope.choices)

    class Meta:
        verbose_name = _("data scope")
        verbose_name_plural = _("data scopes")
        constraints = [
            models.UniqueConstraint(fields=["role", "object_type"], name="role_object_type_once")
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.object_type}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if DataScope.rank(self.edit_scope) > DataScope.rank(self.view_scope):
            raise ValidationError(
                {"edit_scope": _("The edit scope cannot be wider than the view scope.")}
            )


class EmployeeSkill(models.Model):
    """A skill of an employee with a level (1–5), used for routing work to the most qualified."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skills")
    skill = models.CharField(_("skill"), max_length=60)
    level = models.PositiveSmallIntegerField(
        _("level"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["skill"]
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="skill_once_per_user")
        ]
        indexes = [models.Index(fields=["skill", "level"])]

    def __str__(self) -> str:
        return f"{self.skill} ({self.level})"


class RecordShare(BaseModel):
    """A record explicitly shared with a user or a department, beyond their data scope."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    can_edit = models.BooleanField(_("may edit"), default=False)

    class Meta:
        verbose_name = _("shared record")
        verbose_name_plural = _("shared records")
        indexes = [
            models.Index(fields=["content_type", "user", "object_id"]),
            models.Index(fields=["content_type", "department", "object_id"]),
            models.Index(fields=["content_type", "object_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(department__isnull=False),
                name="share_has_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type} #{self.object_id} → {self.user or self.department}"


class SystemParameters(BaseModel):
    """System parameters (系统参数): one row, read through ``kehu.system.params.get_params()``."""

    company_name = models.CharField(_("company name"), max_length=200, default="", blank=True)
    logo = models.FileField(_("company logo"), upload_to="logo/", blank=True)
    admin_email = models.EmailField(_("administrator e-mail"), blank=True)
    currency = models.CharField(_("base currency"), max_length=3, default="CNY")
    receivable_reminder_days = models.PositiveSmallIntegerField(
        _("days before a receivable is due to remind"), default=7
    )
    care_reminder_days = models.PositiveSmallIntegerField(
        _("days before a birthday or anniversary to remind"), default=3
    )
    contract_renewal_days = models.PositiveSmallIntegerField(
        _("days before a contract ends to remind of its renewal"),
        default=30,
        help_text=_("The owner of an active contract is told once, this many days before it ends."),
    )
    care_suppression_days = models.PositiveSmallIntegerField(
        _("days before a campaign without care gestures"),
        default=7,
        help_text=_(
            "No care gesture (birthday or anniversary greeting) is planned this many days before a "
            "campaign reaches the same customer."
        ),
    )
    recycle_retention_days = models.PositiveSmallIntegerField(
        _("days deleted records stay in the recycle bin"),
        default=30,
        help_text=_(
            "Deleted customers and contacts can be restored for this many days; then they are purged."
        ),
    )
    customer_number_pattern = models.CharField(
        _("customer number pattern"),
        max_length=40,
        default="C{seq:8}",
        help_text=_(
            "Numbers given to new customers left without one: letters and digits plus {YYYY}, "
            "{YY}, {MM}, {DD} (today's date) and one counter {seq:N} of N digits, e.g. "
            "KH{YYYY}-{seq:5}. The counter starts again when the date part changes."
        ),
    )
    quote_amount_decimals = models.PositiveSmallIntegerField(_("quote amount decimals"), default=2)
    quote_quantity_decimals = models.PositiveSmallIntegerField(
        _("quote quantity decimals"), default=2
    )
    contract_amount_decimals = models.PositiveSmallIntegerField(
        _("contract amount decimals"), default=2
    )
    contract_quantity_decimals = models.PositiveSmallIntegerField(
        _("contract quantity decimals"), default=2
    )
    order_amount_decimals = models.PositiveSmallIntegerField(_("order amount decimals"), default=2)
    order_quantity_decimals = models.PositiveSmallIntegerField(
        _("order quantity decimals"), default=2
    )
    product_amount_decimals = models.PositiveSmallIntegerField(
        _("product price decimals"), default=2
    )
    product_quantity_decimals = models.PositiveSmallIntegerField(
        _("product quantity decimals"), default=2
    )
    work_start = models.TimeField(_("working day starts"), default=datetime.time(9, 0))
    work_end = models.TimeField(_("working day ends"), default=datetime.time(18, 0))
    work_weekdays = models.CharField(
        _("working weekdays"),
        max_length=7,
        default="12345",
        help_text=_("ISO weekday numbers, Monday = 1: 12345 is Monday to Friday."),
    )

    class Meta:
        verbose_name = _("system parameters")
        verbose_name_plural = _("system parameters")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="parameters_singleton")]

    def __str__(self) -> str:
        return str(_("System parameters"))


class Holiday(BaseModel):
    """A public holiday, or a make-up working day (调休) on a weekend, for working-time clocks."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays and make-up days")
        ordering = ["date"]
        # keyset pagination: every sortable column paired with id
        indexes = [
            models.Index(fields=["date", "id"]),
            models.Index(fields=["name", "id"]),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class DictionaryItem(BaseModel):
    """An entry of an administrator-edited choice list (数据字典): customer level, source, …"""

    dictionary = models.CharField(_("dictionary"), max_length=50)
    code = models.SlugField(_("code"), max_length=50, allow_unicode=False)
    label_zh = models.CharField(_("Chinese label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    order = models.IntegerField(_("order"), default=0)
    color = models.CharField(
        _("colour"),
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #1f77b4."))],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dictionary entry")
        verbose_name_plural = _("dictionaries")
        ordering = ["dictionary", "order", "code"]
        # keyset pagination: every sortable column paired with id
        indexes = [
            models.Index(fields=["dictionary", "id"]),
            models.Index(fields=["code", "id"]),
            models.Index(fields=["order", "id"]),
            models.Index(fields=["label_zh", "id"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dictionary", "code"], name="dictionary_code_once")
        ]

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        language = language or get_language() or "zh-hans"
        if language.startswith("en") and self.label_en:
            return self.label_en
        return self.label_zh


class ProductCategory(TreeNode):
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    cycle_message = _("A category cannot be placed under itself or one of its sub-categories.")

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["path"]
        # keyset pagination: every sortable column paired with id
        indexes = [
            models.Index(fields=["path", "id"]),
            models.Index(fields=["code", "id"]),
            models.Index(fields=["name", "id"]),
        ]

    def __str__(self) -> str:
        return self.name


class Product(BaseModel):
    """A product or service (产品): tangible or intangible, with list, floor and cost prices."""

    class Kind(models.TextChoices):
        SELF_MADE = "self_made", _("Self-made")
        PURCHASED = "purchased", _("Purchased")
        CONSIGNMENT = "consignment", _("Consignment")
        TRAINING = "training", _("Training")
        SERVICE = "service", _("Service")

    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ProductCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    kind = models.CharField(
        _("product type"), max_length=12, choices=Kind.choices, default=Kind.SELF_MADE
    )
    unit = models.CharField(_("unit"), max_length=20, default="件")
    list_price = MoneyField(_("list price"), default=Decimal("0"))
    floor_price = MoneyField(_("floor price"), default=Decimal("0"))
    cost = MoneyField(_("cost"), default=Decimal("0"))
    tax_rate = models.DecimalField(
        _("tax rate"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.13"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["category", "id"]),
            models.Index(fields=["list_price", "id"]),
            models.Index(fields=["code", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_price__lte=F("list_price")), name="floor_not_above_list"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PriceListItem(BaseModel):
    """A price for customers of one level (客户级别), overriding the list price."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="level_prices")
    customer_level = models.CharField(_("customer level"), max_length=50)
    price = MoneyField(_("price"))

    class Meta:
        verbose_name = _("price by customer level")
        verbose_name_plural = _("prices by customer level")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "customer_level"], name="price_once_per_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} · {self.customer_level}: {self.price}"


def custom_field_object_types() -> list[tuple[str, str]]:
    """Object types that opted into custom fields (their model has ``CustomFieldsMixin``)."""
    from kehu.core.customfields import is_opted_in
    from kehu.core.registry import registry

    return [
        (label, str(ot.verbose_name_plural()).capitalize())
        for label, ot in sorted(registry.items())
        if is_opted_in(ot.model)
    ]


class CustomField(BaseModel):
    """A custom field (自定义字段) of an object type, defined by an administrator without a
    migration; the values live in the record's ``custom`` JSON column (see
    :class:`kehu.core.models.CustomFieldsMixin`) and are read through a versioned cache."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", pgettext_lazy("data type", "Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")
        MULTICHOICE = "multichoice", _("Multiple choice")
        BOOLEAN = "boolean", _("Yes / no")

    object_type = models.CharField(
        _("object type"), max_length=60, choices=custom_field_object_types
    )
    code = models.CharField(
        _("code"),
        max_length=40,
        validators=[
            RegexValidator(
                r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$",
                _(
                    "Use letters, digits and single underscores, starting with a letter "
                    "(e.g. source_channel)."
                ),
            )
        ],
        help_text=_("Used in the API, filters, imports and exports; cannot change later."),
    )
    label_zh = models.CharField(_("Chinese label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TEXT)
    #: [{"code": ..., "label_zh": ..., "label_en": ...}] for choice and multiple-choice fields.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    default = models.JSONField(_("default value"), null=True, blank=True)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    order = models.IntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    show_in_list = models.BooleanField(_("show in lists"), default=False)
    filterable = models.BooleanField(_("filterable"), default=False)
    searchable = models.BooleanField(_("searchable"), default=False)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["object_type", "order", "id"]
        # keyset pagination: every sortable column paired with id
        indexes = [
            models.Index(fields=["object_type", "id"]),
            models.Index(fields=["code", "id"]),
            models.Index(fields=["order", "id"]),
            models.Index(fields=["label_zh", "id"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "code"], name="custom_field_code_once")
        ]

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        language = language or get_language() or "zh-hans"
        if language.startswith("en") and self.label_en:
            return self.label_en
        return self.label_zh


class ApiTokenQuerySet(RestrictedQuerySet):
    def manageable_by(self, user) -> ApiTokenQuerySet:
        """The tokens ``user`` may list and revoke: their own, and with *Manage users* those of
        the employees they may edit (the employees' data scope decides, as everywhere)."""
        from kehu.core.permissions import SpecialPermission

        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        mine = Q(user=user)
        if user.has_perm(SpecialPermission.MANAGE_USERS):
            mine |= Q(user__in=User.objects.editable_by(user).values("pk"))
        return self.filter(mine)


class ApiToken(BaseModel):
    """A personal API token (API 令牌) for an integration: it acts as its employee, with exactly
    their permissions and data scope. Only a SHA-256 hash of the secret is stored; the secret is
    shown once when the token is made. Revoked, expired, or its employee inactive or locked: it
    stops working at once."""

    user = models.ForeignKey(
        User, verbose_name=_("employee"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    audit_exclude = ("updated_at", "updated_by", "version", "key_hash", "last_used_at")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# Approvals (审批) live in their own package; imported here so they belong to this app.
from .approvals.models import ApprovalRequest, ApprovalStatus, ApprovalStep  # noqa: E402, F401

# Outbound messaging (e-mail, SMS, WeChat): its own package, models imported here likewise.
from .messaging.models import (  # noqa: E402, F401
    Consent,
    Delivery,
    Message,
    Suppression,
)

# Outbound webhooks live in their own package too.
from .webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
