"""Service contracts, installed goods, SLA policies and agent profiles: their save rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.numbering import take_numbers

from ..models import AgentProfile, InstalledProduct, ServiceContract, SlaPolicy

CONTRACT_NUMBER_PATTERN = "FW{YYYY}-{seq:5}"


def _error(name: str, message, code: str) -> ValidationError:
    return ValidationError({name: ValidationError(message, code=code)})


def _own(obj, user) -> None:
    if not obj.owner_id:
        obj.owner = user
    if not obj.department_id:
        obj.department_id = obj.owner.department_id


def _clean(obj) -> None:
    obj.full_clean(exclude=["owner", "department"] if obj.department_id is None else None)


@transaction.atomic
def save_service_contract(contract: ServiceContract, *, user, products=None) -> ServiceContract:
    if contract._state.adding:
        _own(contract, user)
        contract.number = take_numbers(
            CONTRACT_NUMBER_PATTERN,
            1,
            queryset=ServiceContract.objects.all(),
            field="number",
            label="service.contract",
        )[0]
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        raise _error("end_date", _("The contract cannot end before it starts."), "dates")
    _clean(contract)
    contract.save()
    if products is not None:
        contract.products.set(products)
    return contract


@transaction.atomic
def save_installed_product(item: InstalledProduct, *, user) -> InstalledProduct:
    if item._state.adding:
        _own(item, user)
    item.serial_number = (item.serial_number or "").strip()
    if item.installed_on and item.warranty_end and item.warranty_end < item.installed_on:
        raise _error("warranty_end", _("The warranty cannot end before the installation."), "dates")
    _clean(item)
    item.save()
    return item


@transaction.atomic
def save_sla_policy(policy: SlaPolicy, *, user) -> SlaPolicy:
    if (
        policy.response_hours is not None
        and policy.resolution_hours is not None
        and policy.resolution_hours < policy.response_hours
    ):
        raise _error(
            "resolution_hours",
            _("The resolution target cannot be shorter than the first response target."),
            "targets",
        )
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def save_agent_profile(profile: AgentProfile, *, user, products=None) -> AgentProfile:
    profile.categories = ",".join(sorted(profile.category_set))
    profile.languages = ",".join(sorted(profile.language_set))
    profile.full_clean()
    profile.save()
    if products is not None:
        profile.products.set(products)
    return profile
