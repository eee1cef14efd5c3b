"""Leads (线索): people and companies that may become customers, with the rules that score and
assign them and the public web forms that capture them.

A lead always has an owner (data permissions need one): leads that come in without one (a web
form, an import) are given one by the assignment rules, or by the form's fallback owner.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.core.fields import dictionary_choices
from kehu.core.models import BaseModel, OwnedModel
from kehu.core.search import Searchable, build_document
from kehu.customers.models.customer import validate_phone

__all__ = ["Lead", "LeadAssignmentRule", "LeadScoringRule", "WebForm"]

#: The source a web-form submission gets (an entry of the customer-source dictionary).
WEB_FORM_SOURCE = "website"
#: Managing web forms, scoring and assignment rules (administrators by default).
MANAGE_PERM = "sales.manage_lead_settings"


def _dictionary(code: str) -> list[tuple[str, str]]:
    from django.db import DatabaseError

    from kehu.system.params import dictionary_choices as entries

    try:
        return entries(code, include_inactive=True)
    except DatabaseError:  # system checks before the first migrate
        return []


@dictionary_choices("customer_source")
def source_choices() -> list[tuple[str, str]]:
    return _dictionary("customer_source")


@dictionary_choices("industry")
def lead_industry_choices() -> list[tuple[str, str]]:
    return _dictionary("industry")


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


class WebForm(BaseModel):
    """A public lead-capture form an administrator embeds in the company's website (an iframe,
    or a plain HTML form posting to the submit address with the form's secret key)."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(
        _("secret key"), max_length=64, unique=True, default=new_form_key, editable=False
    )
    active = models.BooleanField(_("active"), default=True)
    title = models.CharField(
        _("page title"), max_length=200, blank=True, help_text=_("Shown above the form.")
    )
    intro = models.TextField(_("introduction"), blank=True)
    thank_you = models.CharField(
        _("thank-you message"),
        max_length=300,
        blank=True,
        help_text=_("Shown after a submission; a default message when empty."),
    )
    source = models.CharField(
        _("source"), max_length=50, default=WEB_FORM_SOURCE, choices=source_choices
    )
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    fallback_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fallback owner"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Owns the leads no assignment rule gives to anyone."),
    )

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:webform_detail", args=[self.pk])


class Lead(Searchable, OwnedModel):
    """A sales lead: a person at a company, where it came from, how good it looks (score) and
    how far it went (status); a converted lead points to what it became."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        CONVERTED = "converted", _("Converted")
        DISQUALIFIED = "disqualified", _("Disqualified")

    #: statuses of a lead still being worked on
    OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.QUALIFIED)

    name = models.CharField(_("name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[validate_phone])
    mobile = models.CharField(_("mobile"), max_length=40, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail"), blank=True)
    region = models.CharField(_("region"), max_length=60, blank=True, help_text=_("Province."))
    city = models.CharField(_("city"), max_length=60, blank=True)
    industry = models.CharField(
        _("industry"), max_length=60, blank=True, choices=lead_industry_choices
    )
    source = models.CharField(_("source"), max_length=50, blank=True, choices=source_choices)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    disqualified_reason = models.CharField(_("reason disqualified"), max_length=200, blank=True)
    score = models.IntegerField(pgettext_lazy("lead", "score"), default=0, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    web_form = models.ForeignKey(
        WebForm,
        verbose_name=_("web form"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="leads",
    )
    last_contacted_at = models.DateTimeField(
        _("last contacted"), null=True, blank=True, editable=False
    )
    converted_customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("converted to customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="leads",
    )
    converted_contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("converted to contact"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    converted_opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("converted to opportunity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-id"]
        default_manager_name = "objects"
        permissions = [
            ("manage_lead_settings", _("Manage lead web forms, scoring and assignment rules"))
        ]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["company", "id"]),
            models.Index(fields=["score", "id"]),
            models.Index(fields=["created_at", "id"]),
            models.Index(fields=["status", "id"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["converted_customer"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.company}" if self.company else self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("sales:lead_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    search_sources = ("name", "company", "phone", "mobile", "email")

    def search_document(self) -> tuple[str, str]:
        return build_document(
            name=self.name,
            phones=[self.phone, self.mobile],
            emails=[self.email],
            other_names=[self.company] if self.company else [],
        )

    def search_summary(self) -> str:
        return " · ".join(v for v in (self.company, self.mobile or self.phone or self.email) if v)


#: The fields a user edits, in display order (forms, API, exports, import).
LEAD_FIELDS = [
    "name",
    "company",
    "title",
    "mobile",
    "phone",
    "email",
    "region",
    "city",
    "industry",
    "source",
    "campaign",
    "status",
    "disqualified_reason",
    "notes",
]


class LeadScoringRule(BaseModel):
    """Points a lead gets when one of its fields meets a condition (industry = manufacturing:
    +20; has an e-mail: +5). A lead's score is the sum over the active rules it meets."""

    class Field(models.TextChoices):
        INDUSTRY = "industry", _("Industry")
        SOURCE = "source", _("Source")
        REGION = "region", _("Region")
        CITY = "city", _("City")
        TITLE = "title", _("Job title")
        COMPANY = "company", _("Company")
        CAMPAIGN = "campaign", _("Campaign")
        EMAIL = "email", _("E-mail")
        MOBILE = "mobile", _("Mobile")
        PHONE = "phone", _("Phone")

    class Condition(models.TextChoices):
        EQUALS = "equals", _("equals")
        NOT_EQUALS = "not_equals", _("does not equal")
        CONTAINS = "contains", _("contains")
        IS_SET = "is_set", _("is filled in")
        IS_EMPTY = "is_empty", _("is empty")

    name = models.CharField(_("name"), max_length=100)
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    condition = models.CharField(
        _("condition"), max_length=12, choices=Condition.choices, default=Condition.EQUALS
    )
    value = models.CharField(
        _("value"),
        max_length=100,
        blank=True,
        help_text=_(
            "For dictionary fields (industry, source) the entry's code, e.g. manufacturing."
        ),
    )
    points = models.IntegerField(_("points"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lead scoring rule")
        verbose_name_plural = _("lead scoring rules")
        ordering = ["id"]
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self) -> str:
        return self.name


class LeadAssignmentRule(BaseModel):
    """Who gets a lead that arrives without an owner (web form, import): the first active rule
    (by position) whose condition the lead meets picks one of its people, in turn (round robin)
    or the one with the fewest open leads."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("In turn (round robin)")
        LEAST_LOADED = "least_loaded", _("Fewest open leads")

    class Field(models.TextChoices):
        ANY = "", _("Any lead")
        REGION = "region", _("Region")
        CITY = "city", _("City")
        INDUSTRY = "industry", _("Industry")
        SOURCE = "source", _("Source")

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    match_field = models.CharField(
        _("when field"), max_length=20, choices=Field.choices, blank=True, default=""
    )
    match_values = models.CharField(
        _("is one of"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated values (dictionary codes for industry and source)."),
    )
    method = models.CharField(
        _("method"), max_length=12, choices=Method.choices, default=Method.ROUND_ROBIN
    )
    department = models.ForeignKey(
        "system.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Its active members take part when no people are chosen."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("people"), blank=True, related_name="+"
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("lead assignment rule")
        verbose_name_plural = _("lead assignment rules")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self) -> str:
        return self.name
