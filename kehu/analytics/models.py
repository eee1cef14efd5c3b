"""Computed customer attributes: a cache the nightly refresh rewrites, never edited by anyone.

Each row says when it was computed (``computed_at``), which the customer page shows: the scores
rank every customer of the company against each other, so they are computed for everyone at
once in the background, not per page view.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import MoneyField
from kehu.core.models import BaseModel


class CustomerValue(models.Model):
    """RFM scores and segment and ABC tier of one customer, over the booked orders of the
    refresh's period."""

    customer = models.OneToOneField(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="computed_value",
    )
    last_order = models.DateField(_("last order"))
    frequency = models.PositiveIntegerField(_("purchase days"))
    monetary = MoneyField(_("amount"))
    r = models.PositiveSmallIntegerField("R")
    f = models.PositiveSmallIntegerField("F")
    m = models.PositiveSmallIntegerField("M")
    segment = models.CharField(_("RFM segment"), max_length=24, db_index=True)
    tier = models.CharField(_("value tier"), max_length=1, db_index=True)
    #: From BG/NBD + Gamma-Gamma fitted on all customers (empty when too few to fit).
    p_alive = models.FloatField(_("probability still active"), null=True)
    expected_orders = models.FloatField(_("expected purchase days, next 12 months"), null=True)
    clv = MoneyField(_("lifetime value, next 12 months"), null=True)
    #: From the churn model trained on the company's own history (:mod:`.churn_crm`): the
    #: probability of no booked order in the model's horizon, and the features pushing it up
    #: (``[[feature key, contribution], …]``, shown translated).
    churn_risk = models.FloatField(_("churn risk"), null=True)
    churn_reasons = models.JSONField(_("churn reasons"), default=list, blank=True)
    #: The need-based segment (:mod:`.needs`), numbered from 1; see :class:`NeedSegment`.
    need_segment = models.PositiveSmallIntegerField(_("need segment"), null=True, db_index=True)
    #: The risk the previous refresh computed, so that a rising risk can be targeted.
    churn_risk_before = models.FloatField(_("churn risk, previous computation"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.r}{self.f}{self.m} {self.segment} {self.tier}"


class ProductRule(models.Model):
    """ "Bought these, also buys that": an association rule between products from booked orders,
    the source of the customer page's next best offers."""

    antecedent = models.CharField(_("bought"), max_length=200)  # product ids, comma-separated
    consequent = models.ForeignKey(
        "system.Product", verbose_name=_("offer"), on_delete=models.CASCADE, related_name="+"
    )
    support = models.FloatField(_("support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))
    #: A sequential rule ("bought A, *later* bought B", :mod:`kehu.analytics.sequences`) has
    #: the median days from A to B; a basket rule ("bought together") has none.
    gap_days = models.FloatField(_("days later"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("product rule")
        verbose_name_plural = _("product rules")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.antecedent} → {self.consequent_id}"

    def antecedent_ids(self) -> set[int]:
        return {int(i) for i in self.antecedent.split(",") if i}


class ChurnRun(models.Model):
    """How good the last churn model was: trained on the customers active ``horizon_days``
    before ``computed_at``, evaluated on a held-out quarter of them. Shown next to the risks so
    that nobody trusts a model that guesses."""

    computed_at = models.DateTimeField(_("computed at"))
    horizon_days = models.PositiveSmallIntegerField(_("horizon (days)"))
    customers = models.PositiveIntegerField(_("customers learned from"))
    held_out = models.PositiveIntegerField(_("customers held out"))
    churn_rate = models.FloatField(_("churn rate"))
    auc = models.FloatField("AUC", null=True)
    top_decile_precision = models.FloatField(_("precision in the riskiest tenth"), null=True)
    strongest = models.JSONField(_("strongest features"), default=list)

    class Meta:
        verbose_name = _("churn model run")
        verbose_name_plural = _("churn model runs")
        default_permissions = ()
        get_latest_by = "computed_at"

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d} AUC {self.auc}"


class Outlier(models.Model):
    """An order unlike the rest (:mod:`.outliers`): what kind, how far out (the robust score)
    and the facts its reason is written from (shown in the reader's language)."""

    class Kind(models.TextChoices):
        DISCOUNT = "discount", _("Unusual discount")
        PRICE = "price", _("Unusual price")
        ORDER = "order", _("Unusual order amount")
        PAYMENT = "payment", _("Overpayment")

    order = models.ForeignKey(
        "sales.SalesOrder",
        verbose_name=_("sales order"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    score = models.FloatField(_("score"))
    facts = models.JSONField(_("facts"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("outlier")
        verbose_name_plural = _("outliers")
        default_permissions = ()
        indexes = [models.Index(fields=["-score"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.score}"

    def reason(self) -> str:
        from django.utils.translation import gettext

        f = dict(self.facts or {})
        try:
            if self.kind == self.Kind.DISCOUNT:
                return gettext("Discount %(discount)s %% on %(product)s; usually %(usual)s %%") % f
            if self.kind == self.Kind.PRICE:
                return gettext("%(product)s sold at %(price)s; usually %(usual)s") % f
            if self.kind == self.Kind.ORDER:
                return gettext("%(ratio)s× the customer's usual order (%(usual)s)") % f
            return gettext("Paid %(paid)s on an order of %(total)s") % f
        except (KeyError, TypeError, ValueError):
            return self.get_kind_display()


class NeedSegment(models.Model):
    """A need-based segment found by the nightly clustering: its size and what sets it apart
    (``[[feature, segment mean, overall mean], …]``, shown translated)."""

    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    size = models.PositiveIntegerField(_("customers"))
    traits = models.JSONField(_("traits"), default=list)
    silhouette = models.FloatField(_("silhouette"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("need segment")
        verbose_name_plural = _("need segments")
        default_permissions = ()
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}"

    def label(self, names: dict | None = None) -> str:
        from django.utils.translation import gettext

        from .needs import trait_label

        if names is None:
            names = category_names(self.traits)
        traits = "; ".join(trait_label(f, m, a, names) for f, m, a in self.traits)
        return gettext("Segment %(n)s: %(traits)s") % {"n": self.number, "traits": traits}


def category_names(traits) -> dict:
    from kehu.system.models import ProductCategory

    ids = [
        int(f.split(":", 1)[1])
        for f, *_rest in traits
        if f.startswith("category:") and f.split(":", 1)[1].isdigit()
    ]
    return dict(ProductCategory.objects.filter(pk__in=ids).values_list("pk", "name"))


class SavedReport(BaseModel):
    """A pivot report kept under a name (保存的报表), maybe e-mailed on a schedule.

    Only the report's query string: opening or sending it runs the pivot as its owner, through
    the same ``visible_to`` as the page, so a report never shows more than the owner's scope.
    With ``window_days`` the period rolls: the last N days up to the day it is run.
    """

    class Schedule(models.TextChoices):
        NONE = "", _("Not sent")
        DAILY = "daily", _("Every day")
        WEEKLY = "weekly", _("Every Monday")
        MONTHLY = "monthly", _("On the 1st of each month")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_reports",
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("report"), blank=True)
    window_days = models.PositiveSmallIntegerField(
        _("rolling period (days)"),
        null=True,
        blank=True,
        help_text=_("The last N days up to the day the report is run; empty keeps the dates."),
    )
    schedule = models.CharField(
        _("e-mail"), max_length=10, choices=Schedule.choices, default="", blank=True
    )
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True, editable=False)
    #: The language the report was saved in: the e-mail is written in it.
    language = models.CharField(_("language"), max_length=10, default="zh-hans", editable=False)

    class Meta:
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")
        ordering = ["name", "id"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="analytics_report_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


# KPIs and the balanced scorecard: their own module, here so that Django finds them.
from .kpi_models import KpiDefinition, KpiTarget  # noqa: E402

__all__ = [
    "ChurnRun",
    "CustomerValue",
    "KpiDefinition",
    "KpiTarget",
    "NeedSegment",
    "Outlier",
    "ProductRule",
    "SavedReport",
]
