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


def register() -> None:
    LeadImporter.register()
