from kehu.core.forms import BaseModelForm

from .models import Gadget


class GadgetForm(BaseModelForm):
    class Meta:
        model = Gadget
        fields = ["name", "bought_on", "notes"]

    def save(self, commit: bool = True):
        from .actions import save_gadget

        obj = super().save(commit=False)
        return save_gadget(gadget=obj, user=self.user) if commit else obj
