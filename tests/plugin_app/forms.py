from kehu.core.forms import BaseModelForm

from .models import Gadget


class GadgetForm(BaseModelForm):
    class Meta:
        model = Gadget
        fields = ["name", "bought_on", "notes"]
