"""Customer and contact business rules: views, API, tasks and commands all call these."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.numbering import take_numbers
from kehu.core.text import pinyin_initials
from kehu.system.params import get_params

from ..models import Contact, Customer


def mnemonic_for(name: str) -> str:
    """Pinyin initials of a name (北京华为 → BJHW); Latin letters and digits are kept.

    The initials of the search text (``kehu.core.text``: one cached segmentation per name
    serves both), upper case, letters and digits only."""
    return "".join(ch for ch in pinyin_initials(name) if ch.isalnum()).upper()[:50]


def take_customer_numbers(count: int, *, peek: bool = False) -> list[str]:
    """The next ``count`` customer numbers of the pattern in the system parameters.

    Call inside the saving transaction: the counter is locked until it commits, so concurrent
    creations never get the same number; numbers already held (deleted records included) are
    skipped. ``peek`` shows what would come without taking them (import dry runs).
    """
    return take_numbers(
        get_params().customer_number_pattern,
        count,
        queryset=Customer.all_objects.all(),
        field="number",
        label="customers.customer",
        peek=peek,
    )


def next_customer_number() -> str:
    return take_customer_numbers(1)[0]


def check_parent(customer: Customer) -> None:
    """A customer cannot be its own parent company, directly or through its subsidiaries."""
    seen: set[int] = set()
    parent_id = customer.parent_id
    while parent_id is not None:
        if customer.pk is not None and parent_id == customer.pk:
            raise ValidationError(
                {
                    "parent": _(
                        "A customer cannot be a parent company of itself or of its own parent."
                    )
                }
            )
        if parent_id in seen:  # an existing loop elsewhere: stop rather than spin
            break
        seen.add(parent_id)
        parent_id = (
            Customer.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        )


@transaction.atomic
def save_customer(*, customer: Customer, user, company_check: bool = False) -> Customer:
    """Create or update; a new customer is owned by its creator and their department, and gets
    the next customer number when none was given. ``company_check`` (creation by hand, in the
    UI and the API): a customer that already exists outside the user's data scope — same name
    for a company, same phone — is refused, naming its owner only (撞单,
    ``matching.check_not_taken``)."""
    if not customer.mnemonic:
        customer.mnemonic = mnemonic_for(customer.name)
    adding = customer._state.adding
    if adding and company_check:
        from .matching import CUSTOMER_VALUES, check_not_taken

        values = {f: getattr(customer, f) for f in CUSTOMER_VALUES if f != "id"}
        check_not_taken({**values, "parent_id": customer.parent_id}, user=user)
    if adding:
        if not customer.owner_id:
            customer.owner = user
        if not customer.department_id:
            customer.department_id = user.department_id
    if not customer.number:
        customer.number = next_customer_number()
    check_parent(customer)
    customer.full_clean(exclude=["owner", "department"] if customer.department_id is None else None)
    customer.save()
    if not adding:
        _sync_contact_owners(customer)
    return customer


def _sync_contact_owners(customer: Customer) -> None:
    """Keep the contacts' owner/department columns equal to their customer's."""
    from kehu.core.actions import bulk_update_audited

    stale = customer.contacts.exclude(
        owner_id=customer.owner_id, department_id=customer.department_id
    )
    if stale.exists():
        bulk_update_audited(stale, owner=customer.owner_id, department=customer.department_id)


@transaction.atomic
def save_contact(*, contact: Contact, user) -> Contact:
    """Create or update a contact; it belongs to its customer's owner and department."""
    if contact.customer_id:
        customer = contact.customer
        contact.owner_id = customer.owner_id
        contact.department_id = customer.department_id
    if contact.reports_to_id is not None:
        if contact.pk is not None and contact.reports_to_id == contact.pk:
            raise ValidationError({"reports_to": _("A contact cannot report to themselves.")})
        if contact.reports_to.customer_id != contact.customer_id:
            raise ValidationError(
                {"reports_to": _("The contact reported to must work at the same customer.")}
            )
    contact.full_clean()
    contact.save()
    return contact
