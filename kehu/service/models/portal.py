"""The customer self-service portal (客户自助门户): accounts of customers' contacts and the
comments written on requests.

A portal account is **not** a Kehu user: it is no row of ``system.User``, holds no role or
permission, and signs in through its own session key (``kehu.service.actions.portal``), so
``request.user`` stays anonymous for every staff page and API route. What it may see is decided
from its contact's customer alone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["PortalAccount", "RequestComment"]


class PortalAccount(models.Model):
    contact = models.OneToOneField(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="portal_account",
    )
    email = models.EmailField(_("sign-in e-mail"), unique=True)
    password = models.CharField(_("password"), max_length=128, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited at"))
    password_set_at = models.DateTimeField(_("password set at"), null=True, blank=True)
    last_login = models.DateTimeField(_("last sign-in"), null=True, blank=True)
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")

    def __str__(self) -> str:
        return self.email


class RequestComment(models.Model):
    """A comment on a request, written in the portal (``account``) or by staff (``author``)."""

    request = models.ForeignKey(
        "service.ServiceRequest",
        verbose_name=_("service request"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    account = models.ForeignKey(
        PortalAccount,
        verbose_name=_("portal account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("comment"), max_length=4000)
    created_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("request comment")
        verbose_name_plural = _("request comments")
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self) -> str:
        return self.text[:40]
