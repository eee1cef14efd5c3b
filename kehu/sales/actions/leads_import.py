"""Importing leads (trade-show business cards, lists from CSV/Excel): the generic model importer
with the lead's columns; new leads are assigned by the assignment rules (the importing user
otherwise) and scored."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kehu.core.audit import audited_bulk_create
from kehu.core.model_import import Item, ModelImporter

from ..models.leads import Lead

IMPORT_FIELDS = [
    "name",
    "company",
    "title",
    "mobile",
    "phone",
    "email",
    "region",
    "city",
    "industry",
    "source",
    "campaign",
    "notes",
]
ALIASES = {
    "name": ("姓名", "联系人", "名字", "full name", "contact"),
    "company": ("公司", "公司名称", "单位", "单位名称", "organisation", "organization"),
    "title": ("职位", "职务", "头衔", "title", "position"),
    "mobile": ("手机", "手机号", "手机号码", "mobile phone", "cell"),
    "phone": ("电话", "座机", "办公电话", "tel", "telephone"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "email", "mail"),
    "region": ("省份", "省", "地区", "province", "state"),
    "city": ("城市", "市", "town"),
    "industry": ("行业", "所属行业", "sector"),
    "source": ("来源", "线索来源", "lead source"),
    "campaign": ("活动", "市场活动", "展会", "event"),
    "notes": ("备注", "说明", "remarks", "comments"),
}


def import_create_leads(objs: list[Lead], ctx) -> None:
    """The leads' save path for imports: owner by the rules (else the importing user), the
    owner's department, the score; one audited bulk insert."""
    from .leads import active_scoring_rules, pick_owner, score_of

    rules = active_scoring_rules()
    for lead in objs:
        if not lead.owner_id:
            lead.owner = pick_owner(lead) or ctx.user
        lead.department_id = lead.owner.department_id
        lead.score = score_of(lead, rules)
    audited_bulk_create(Lead, objs, batch=getattr(ctx, "batch", None), fast=True)


class LeadImporter(ModelImporter):
    model = Lead
    verbose_name = _("leads")
    columns = IMPORT_FIELDS
    aliases = ALIASES
    perm = "sales.add_lead"

    def keys(self, item: Item) -> list:
        v = item.values
        reach = v.get("mobile") or v.get("email") or v.get("phone") or ""
        return [("lead", v["name"].strip().casefold(), reach.strip().casefold())]

    def check(self, item, batch, ctx) -> None:
        if ctx.user.department_id is None:
            item.row.fail(_("You belong to no department: imported leads need an owner."))
            return
        already = existing_person(item.values)
        if already:
            item.row.fail(already)


def existing_person(values: dict) -> str:
    """Why a card is not a new lead: its mobile or e-mail already belongs to an open lead or to
    a customer's contact, company-wide (撞单). Only the owner is named: the importing user may
    not see that record, but knows whom to ask."""
    from django.db.models import Q

    from kehu.customers.models import Contact

    mobile = (values.get("mobile") or "").strip()
    email = (values.get("email") or "").strip()
    if not mobile and not email:
        return ""
    same = Q()
    if mobile:
        same |= Q(mobile=mobile)
    if email:
        same |= Q(email__iexact=email)
    lead = (
        Lead.objects.filter(same)
        .exclude(status=Lead.Status.CONVERTED)
        .select_related("owner")
        .first()
    )
    if lead is not None:
        return _("Already a lead, owned by %(owner)s.") % {"owner": lead.owner}
    contact = Contact.objects.filter(same).select_related("customer__owner").first()
    if contact is not None:
        return _("Already a contact of a customer owned by %(owner)s.") % {
            "owner": contact.customer.owner
        }
    return ""


def register() -> None:
    LeadImporter.register()
