import django_filters
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import BaseFilterSet

from .models import Gadget


class GadgetFilterSet(BaseFilterSet):
    name = django_filters.CharFilter(label=_("Name"), lookup_expr="icontains")

    class Meta:
        model = Gadget
        fields = ["name"]
