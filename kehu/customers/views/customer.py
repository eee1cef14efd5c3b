"""Customer pages beyond the generic ones: the customer page with its contacts and group, and
adding a contact from a customer page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kehu.core.access_rules import access_rule, record
from kehu.core.views import ObjectDetailView, ObjectEditView, ObjectListView

from .. import actions
from ..models import Contact, Customer
from .activity import customer_activity_context
from .reassign import bulk_reassign, chosen_owner, owner_picker


def _transfer_targets(user) -> list:
    """Whom ``user`` may give customers to, when that is someone besides themselves."""
    if not user.has_perm("customers.change_customer"):
        return []
    people = list(actions.customer_assignees(user))
    return people if len(people) > 1 else []


def _transferred(n: int, owner) -> str:
    return ngettext(
        "%(count)s customer transferred to %(owner)s, with its contacts and open activities.",
        "%(count)s customers transferred to %(owner)s, with their contacts and open activities.",
        n,
    ) % {"count": n, "owner": owner}


class CustomerListView(ObjectListView):
    """The generic list plus "Reassign selected" for people who may give customers away."""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        people = _transfer_targets(self.request.user)
        if people:
            ctx["bulk_reassign"] = {
                "url": reverse("customers:customer_transfer"),
                "people": people,
                "picker": owner_picker(
                    actions.customer_assignees(self.request.user),
                    self.request.user,
                    input_id="bulk-owner",
                    form="bulk-form",
                ),
            }
        return ctx


@access_rule(record("customers.customer", "customers.change_customer"))
@login_required
@require_POST
def customer_bulk_transfer(request):
    """The list's "Reassign selected" (``transfer_customers`` checks scope and assignee)."""
    return bulk_reassign(
        request,
        model=Customer,
        perm="customers.change_customer",
        reassign=lambda chosen, owner, user: actions.transfer_customers(
            customers=chosen, owner=owner, user=user
        ),
        back=reverse("customers:customer_list"),
        nothing=_("Select the customers to transfer."),
        done=_transferred,
    )


@access_rule(record("customers.customer", "customers.change_customer"))
@login_required
@require_POST
def customer_transfer(request, pk: int):
    """The customer page's "Transfer" (转移) to a colleague."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    owner = chosen_owner(request)
    try:
        n = actions.transfer_customers(customers=[customer], owner=owner, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if n:
            messages.success(request, _transferred(n, owner))
    return redirect(customer.get_absolute_url())


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
        # a parent outside the user's scope: said to exist, never named
        ctx["parent_hidden"] = bool(customer.parent_id) and ctx["parent_company"] is None
        ctx["subsidiaries"] = list(visible.filter(parent=customer).order_by("name")[:100])
        from .lifecycle import STAGE_COLORS

        ctx["lifecycle_badge"] = STAGE_COLORS[customer.lifecycle_stage][0]
        ctx["can_view_care"] = user.has_perm("customers.view_caretask")
        ctx["merges"] = list(customer.merges.select_related("user")[:10])
        ctx["aliases"] = list(customer.aliases.all()[:20])

        # transfers need the customer within the user's own edit scope (``check_reassign``)
        mine = Customer.objects.editable_by(user, shares=False).filter(pk=customer.pk)
        if ctx.get("can_change") and mine.exists():
            ctx["transfer_to"] = [p for p in _transfer_targets(user) if p.pk != customer.owner_id]
            if ctx["transfer_to"]:
                ctx["transfer_picker"] = owner_picker(
                    actions.customer_assignees(user).exclude(pk=customer.owner_id),
                    user,
                    input_id="transfer-owner",
                )
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
