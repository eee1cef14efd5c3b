from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.models import OwnedModel


class Gadget(OwnedModel):
    """Owned by a person: the data scopes of roles apply to it like to customers."""

    name = models.CharField(_("name"), max_length=100)
    bought_on = models.DateField(_("bought on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("gadget")
        verbose_name_plural = _("gadgets")
        indexes = [
            models.Index(fields=["name", "id"], name="plugin_gadget_name_id"),
            models.Index(fields=["bought_on", "id"], name="plugin_gadget_bought_id"),
        ]

    def __str__(self) -> str:
        return self.name
