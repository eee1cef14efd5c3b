"""Satisfaction surveys (满意度调查) after a request is resolved or closed.

One row per request: created when the survey e-mail is queued (``sent_at``), filled in when the
customer's contact clicks a score (1–5) in it and maybe adds a comment. The agent and category
are copied from the request when the survey is sent, so the report and analytics read one table
(``kehu.service.actions.surveys.survey_rows`` / ``survey_report``)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["SurveyResponse"]


class SurveyResponse(models.Model):
    request = models.OneToOneField(
        "service.ServiceRequest",
        verbose_name=_("service request"),
        on_delete=models.CASCADE,
        related_name="survey",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="survey_responses",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.CharField(_("category"), max_length=30, blank=True)
    address = models.CharField(_("sent to"), max_length=254)
    sent_at = models.DateTimeField(_("survey sent at"))
    score = models.PositiveSmallIntegerField(
        _("score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        indexes = [
            models.Index(fields=["customer", "sent_at"]),
            models.Index(fields=["sent_at", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="service_survey_score_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request} · {self.score or '–'}"
