"""Customer pages beyond the generic ones: the customer page with its contacts and group, and
adding a contact from a customer page."""

from __future__ import annotations

from kehu.core.views import ObjectDetailView, ObjectEditView

from ..models import Contact, Customer
from .activity import customer_activity_context


class CustomerDetailView(ObjectDetailView):
    """The generic detail plus the contacts, parent company and subsidiaries the user may see."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        customer = ctx["object"]
        user = self.request.user
        ctx["can_view_contacts"] = user.has_perm("customers.view_contact")
        ctx["can_add_contact"] = user.has_perm("customers.add_contact") and (
            Customer.objects.editable_by(user).filter(pk=customer.pk).exists()
        )
        if ctx["can_view_contacts"]:
            ctx["contacts"] = list(
                Contact.objects.visible_to(user)
                .filter(customer=customer)
                .only("id", "name", "title", "work_department", "mobile", "email", "is_primary")
                .order_by("-is_primary", "name")[:100]
            )
        visible = Customer.objects.visible_to(user).only("id", "name", "number")
        ctx["parent_company"] = (
            visible.filter(pk=customer.parent_id).first() if customer.parent_id else None
        )
        ctx["subsidiaries"] = list(visible.filter(parent=customer).order_by("name")[:100])
        from .lifecycle import STAGE_COLORS

        ctx["lifecycle_badge"] = STAGE_COLORS[customer.lifecycle_stage][0]
        ctx["can_view_care"] = user.has_perm("customers.view_caretask")
        ctx["merges"] = list(customer.merges.select_related("user")[:10])
        ctx["aliases"] = list(customer.aliases.all()[:20])

        ctx.update(customer_activity_context(self.request, customer))
        return ctx


class ContactEditView(ObjectEditView):
    """The generic add/edit form; ``?customer=<id>`` preselects a customer the user may edit."""

    def get_context_data(self, form=None, **kwargs):
        if form is None and "pk" not in self.kwargs:
            number = (
                Customer.objects.editable_by(self.request.user)
                .filter(pk=self.request.GET.get("customer") or 0)
                .values_list("number", flat=True)
                .first()
                if (self.request.GET.get("customer") or "").isdigit()
                else None
            )
            if number:
                form = self.object_type.form(initial={"customer": number}, user=self.request.user)
        return super().get_context_data(form=form, **kwargs)
