from kehu.core.forms import BaseModelForm

from .models import Customer


class CustomerForm(BaseModelForm):
    class Meta:
        model = Customer
        fields = [
            "number",
            "name",
            "mnemonic",
            "kind",
            "phone",
            "email",
            "city",
            "address",
            "industry",
            "level",
            "credit_limit",
            "registered_on",
            "notes",
        ]

    def save(self, commit: bool = True):
        from . import actions

        obj = super().save(commit=False)
        if commit:
            actions.save_customer(customer=obj, user=self.user)
        return obj
