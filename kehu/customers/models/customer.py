"""Customers (客户) and their contacts (联系人)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.fields import MoneyField, dictionary_choices
from kehu.core.models import CustomFieldsMixin, OwnedModel, SoftDeleteModel
from kehu.core.search import (
    Searchable,
    build_document,
)

PHONE_CHARS = re.compile(r"^[0-9 +\-()]+$")
PHONE_ERROR = _(
    "Enter a phone number of 5 to 20 digits; only digits, spaces, +, - and parentheses are allowed."
)


def validate_phone(value: str) -> None:
    """Digits, spaces, +, -, parentheses; 5 to 20 digits (landlines, mobiles, extensions)."""
    if not value:
        return
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_CHARS.match(value) or not 5 <= digits <= 20:
        raise ValidationError(PHONE_ERROR, code="invalid_phone")


# Dictionary-backed choices: callables, so the lists are read (cached) when used, in the user's
# language, and an administrator's edits apply at once. Inactive entries stay valid on records
# that already hold them; forms offer only active ones.
def _dictionary(code: str) -> list[tuple[str, str]]:
    from django.db import DatabaseError

    from kehu.system.params import dictionary_choices

    try:
        return dictionary_choices(code, include_inactive=True)
    except DatabaseError:  # system checks before the first migrate: no dictionary table yet
        return []


@dictionary_choices("customer_level")
def level_choices() -> list[tuple[str, str]]:
    return _dictionary("customer_level")


@dictionary_choices("industry")
def industry_choices() -> list[tuple[str, str]]:
    return _dictionary("industry")


@dictionary_choices("customer_type")
def type_choices() -> list[tuple[str, str]]:
    return _dictionary("customer_type")


@dictionary_choices("customer_status")
def status_choices() -> list[tuple[str, str]]:
    return _dictionary("customer_status")


@dictionary_choices("customer_source")
def source_choices() -> list[tuple[str, str]]:
    return _dictionary("customer_source")


@dictionary_choices("credit_rating")
def credit_rating_choices() -> list[tuple[str, str]]:
    return _dictionary("credit_rating")


def _text(verbose_name, max_length: int = 60, **kw):
    """A text column with an empty default in Python and in the database (raw inserts work)."""
    return models.CharField(
        verbose_name, max_length=max_length, blank=True, default="", db_default="", **kw
    )


class LifecycleStage(models.TextChoices):
    """The seven stages of the customer lifecycle (客户生命周期), in their natural order."""

    PROSPECT = "prospect", _("Prospect")
    DEVELOPMENT = "development", _("Development")
    GROWTH = "growth", _("Growth")
    MATURITY = "maturity", _("Maturity")
    DECLINE = "decline", _("Decline")
    TERMINATION = "termination", _("Termination")
    RECOVERY = "recovery", _("Recovery")


class Customer(Searchable, SoftDeleteModel, CustomFieldsMixin, OwnedModel):
    """A customer; deleting one moves it (with its contacts) to the recycle bin."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")

    number = models.CharField(
        _("customer number"),
        max_length=30,
        blank=True,
        help_text=_("Leave empty to number the customer automatically."),
    )
    name = models.CharField(_("name"), max_length=200)
    mnemonic = models.CharField(_("mnemonic code"), max_length=50, blank=True, db_index=True)
    #: The name's pinyin, kept with the search columns: the list sorts names by it.
    name_sort = models.CharField(
        _("name (pinyin)"), max_length=255, editable=False, blank=True, default="", db_default=""
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.COMPANY)
    phone = models.CharField(
        _("main phone"), max_length=40, blank=True, validators=[validate_phone]
    )
    email = models.EmailField(_("e-mail"), blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    address = models.CharField(_("office address"), max_length=255, blank=True)
    postcode = _text(_("postcode"), 20)
    website = _text(_("website"), 200)
    fax = _text(_("fax"), 40, validators=[validate_phone])
    industry = models.CharField(_("industry"), max_length=60, blank=True, choices=industry_choices)
    level = models.CharField(_("level"), max_length=30, blank=True, choices=level_choices)
    customer_type = _text(_("customer type"), 30, choices=type_choices)
    status = _text(_("status"), 30, choices=status_choices)
    credit_rating = _text(_("credit rating"), 30, choices=credit_rating_choices)
    #: 客户来源: the "customer source" dictionary (one list, kept by the administrator).
    source = _text(_("customer source"), 30, choices=source_choices)
    credit_limit = MoneyField(
        _("credit limit"), default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidiaries",  # a nullable column: raw inserts that omit it get NULL
    )
    finance_contact = _text(_("finance contact"), 60)
    finance_phone = _text(_("finance phone"), 40, validators=[validate_phone])
    registered_on = models.DateField(_("registration date"), default=timezone.localdate)
    birthday = models.DateField(
        _("birthday"), null=True, blank=True, help_text=_("For individual customers.")
    )
    notes = models.TextField(_("notes"), blank=True)
    # Lifecycle (客户生命周期): set by kehu.customers.actions.lifecycle, never by the edit form.
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=12,
        choices=LifecycleStage.choices,
        default=LifecycleStage.PROSPECT,
        db_default=LifecycleStage.PROSPECT,
    )
    lifecycle_overridden = models.BooleanField(
        _("stage set by hand"), default=False, db_default=False
    )
    lifecycle_since = models.DateTimeField(_("in this stage since"), null=True, blank=True)

    merged_into = models.ForeignKey(
        "customers.CustomerMerge",
        verbose_name=_("merged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    soft_delete_cascade = ("contacts",)
    #: Purged with the customer once the recycle bin's retention has passed (audited).
    purge_cascade = ("activities", "care_tasks")

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        default_manager_name = "objects"
        constraints = [
            # Deleted customers (recycle bin, merged losers) do not hold their number.
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(deleted_at__isnull=True),
                name="customer_number_unique",
                violation_error_message=_("A customer with this customer number already exists."),
            )
        ]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["name_sort", "id"]),
            # A city's customers in name order: company names start with their city, so in
            # pinyin order one city's names sit together and the (name_sort, id) index walks
            # past every name before them (上海: most of the table) to find a page.
            models.Index(fields=["city", "name_sort", "id"]),
            models.Index(fields=["owner", "id"]),
            models.Index(fields=["department", "id"]),
            models.Index(fields=["city", "id"]),
            models.Index(fields=["registered_on", "id"]),
            models.Index(fields=["lifecycle_stage", "id"]),
            models.Index(fields=["number", "id"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:customer_detail", args=[self.pk])

    #: What the global search and the list's search box look in (see kehu/core/search.py).
    search_sources = ("name", "mnemonic", "number", "phone", "fax", "finance_phone", "email")
    sort_key_sources = {"name_sort": "name"}
    audit_derived = ("search_text", "search_grams", "name_sort")
    #: The aliases a merge left (the losers' names, numbers, phones, e-mails) are found too.
    search_prefetch = ("aliases",)
    #: A contact's document holds its customer's name and mnemonic.
    search_dependents = (("customers.Contact", "customer", ("name", "mnemonic")),)

    def search_document(self) -> tuple[str, str]:
        aliases = _aliases(self)
        return build_document(
            name=self.name,
            codes=[self.mnemonic, self.number, *(a.number for a in aliases)],
            phones=[self.phone, self.fax, self.finance_phone, *(a.phone for a in aliases)],
            emails=[self.email, *(a.email for a in aliases)],
            other_names=[a.name for a in aliases],
        )

    def search_summary(self) -> str:
        return " · ".join(v for v in (self.number, self.city, self.phone) if v)

    def picker_context(self) -> str:
        """The second line of the customer in a picker (``core.pickers``)."""
        return " · ".join(v for v in (self.number, self.city) if v)


class Contact(Searchable, SoftDeleteModel, CustomFieldsMixin, OwnedModel):
    """A person at a customer. Data permissions follow the customer (its owner and department);
    the contact's own owner/department columns are kept equal to the customer's."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")
        UNKNOWN = "unknown", _("Unknown")

    owner_path = "customer__owner"
    department_path = "customer__department"
    data_scope_label = "customers.customer"

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contacts"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    #: The name's pinyin, kept with the search columns: the list sorts names by it.
    name_sort = models.CharField(
        _("name (pinyin)"), max_length=255, editable=False, blank=True, default="", db_default=""
    )
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    anniversary = models.DateField(
        _("anniversary"),
        null=True,
        blank=True,
        help_text=_("A date to remember every year, e.g. a wedding or the start of the business."),
    )
    work_department = models.CharField(
        _("department"),
        max_length=100,
        blank=True,
        help_text=_("The contact's department at the customer."),
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    office_phone = models.CharField(
        _("office phone"), max_length=40, blank=True, validators=[validate_phone]
    )
    mobile = models.CharField(_("mobile"), max_length=40, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail"), blank=True)
    home_phone = models.CharField(
        _("home phone"), max_length=40, blank=True, validators=[validate_phone]
    )
    fax_im = models.CharField(_("fax / IM"), max_length=100, blank=True)
    hobbies = models.CharField(_("hobbies"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    merged_into = models.ForeignKey(
        "customers.ContactMerge",
        verbose_name=_("merged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-id"]
        default_manager_name = "objects"
        indexes = [
            models.Index(fields=["customer", "id"]),
            models.Index(fields=["name", "id"]),
            models.Index(fields=["name_sort", "id"]),
            models.Index(fields=["mobile"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("customers:contact_detail", args=[self.pk])

    search_sources = ("name", "mobile", "office_phone", "home_phone", "email", "customer")
    sort_key_sources = {"name_sort": "name"}
    audit_derived = ("search_text", "search_grams", "name_sort")
    search_related_sources = ("customer__name", "customer__mnemonic")
    search_prefetch = ("customer", "aliases")

    def search_document(self) -> tuple[str, str]:
        """The contact's own identifiers (and a merge's aliases), then its customer's name,
        pinyin and mnemonic: a contact is found by its company, ranked below its own name."""
        aliases = _aliases(self)
        customer = self.customer if self.customer_id else None
        return build_document(
            name=self.name,
            phones=[self.mobile, self.office_phone, self.home_phone, *(a.phone for a in aliases)],
            emails=[self.email, *(a.email for a in aliases)],
            other_names=[a.name for a in aliases],
            related_name=customer.name if customer else "",
            related_codes=[customer.mnemonic] if customer else [],
        )

    def search_summary(self) -> str:
        # customer is in the contact type's select_related: no query per hit
        return " · ".join(v for v in (self.customer.name, self.mobile or self.email) if v)


def _aliases(record) -> list:
    """The aliases of a saved record (prefetched on the bulk paths); none for a new one."""
    if record.pk is None or record._state.adding:
        return []
    return list(record.aliases.all())


#: The fields a user edits, in display order: one list for the forms, the API, exports and pages.
CUSTOMER_FIELDS = [
    "number",
    "name",
    "mnemonic",
    "kind",
    "customer_type",
    "status",
    "level",
    "industry",
    "source",
    "credit_rating",
    "credit_limit",
    "parent",
    "phone",
    "fax",
    "email",
    "website",
    "city",
    "address",
    "postcode",
    "finance_contact",
    "finance_phone",
    "registered_on",
    "birthday",
    "notes",
]
CONTACT_FIELDS = [
    "customer",
    "name",
    "gender",
    "birthday",
    "anniversary",
    "work_department",
    "title",
    "reports_to",
    "is_primary",
    "office_phone",
    "mobile",
    "email",
    "home_phone",
    "fax_im",
    "hobbies",
    "notes",
]
#: Set by actions, never by the user (no mass assignment).
OWNERSHIP_FIELDS = ["owner", "department"]
