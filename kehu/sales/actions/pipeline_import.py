"""Importing deals from a file: the customer by number or name (one you may see), the stage by
name (of the default pipeline); each deal is saved by ``save_opportunity`` (number, owner,
stage history), the object type's ``import_create``."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.imports import ImportContext, ImportField
from kehu.core.model_import import Batch, Item, ModelImporter, required_error

from ..models import Opportunity, Stage
from .pipeline import default_pipeline, stages_of


class OpportunityImporter(ModelImporter):
    model = Opportunity
    columns = [
        "name",
        ImportField(
            "customer",
            gettext_lazy("Customer"),
            required=True,
            aliases=("客户", "客户名称", "客户编号", "customer", "customer number"),
        ),
        "amount",
        "expected_close",
        ImportField("stage", gettext_lazy("Stage"), aliases=("阶段", "销售阶段", "stage")),
        "source",
        "next_step",
        "competitors",
        "description",
    ]
    aliases = {
        "name": ("商机名称", "商机", "项目名称", "opportunity", "deal"),
        "amount": ("金额", "预计金额", "amount"),
        "expected_close": ("预计成交日期", "预计签单日期", "expected close"),
    }
    required = ("name",)
    perm = "sales.add_opportunity"

    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        pipeline = default_pipeline()
        ctx.state["pipeline"] = pipeline
        stages = {}
        for stage in stages_of(pipeline):
            stages[stage.name.casefold()] = stage
            stages[str(stage).casefold()] = stage  # the name as shown (translated)
        ctx.state["stages"] = stages

    def clean_extra(self, item: Item, ctx: ImportContext) -> None:
        row = item.row
        ref = str(row.values.get("customer") or "").strip()
        if not ref:
            required_error(row, ctx.state["labels"]["customer"])
        item.data["customer_ref"] = ref
        stage_name = str(row.values.get("stage") or "").strip()
        stage = None
        if stage_name:
            stage = ctx.state["stages"].get(stage_name.casefold())
            if stage is None:
                row.fail(
                    _("%(field)s: no stage “%(value)s” in the pipeline %(pipeline)s.")
                    % {
                        "field": ctx.state["labels"]["stage"],
                        "value": stage_name[:40],
                        "pipeline": ctx.state["pipeline"],
                    }
                )
            elif stage.kind == Stage.Kind.LOST:
                row.fail(_("Deals are imported open or won; mark a lost deal lost on its page."))
        item.data["stage"] = stage

    def prefetch(self, items: list[Item], batch: Batch, ctx: ImportContext) -> None:
        from kehu.customers.models import Customer

        refs = {i.data["customer_ref"] for i in items if i.data.get("customer_ref")}
        found: dict[str, Customer] = {}
        if refs:
            for c in (
                Customer.objects.visible_to(ctx.user)
                .filter(Q(number__in=refs) | Q(name__in=refs))
                .only("id", "number", "name")
                .order_by("pk")
            ):
                found.setdefault(c.number, c)
                found.setdefault(c.name, c)
        batch.data["customers"] = found

    def check(self, item: Item, batch: Batch, ctx: ImportContext) -> None:
        ref = item.data.get("customer_ref")
        if ref and ref not in batch.data["customers"]:
            item.row.fail(
                _("%(field)s: no customer “%(value)s” that you may see.")
                % {"field": ctx.state["labels"]["customer"], "value": ref[:60]}
            )

    def build(self, item: Item, ctx: ImportContext) -> Opportunity:
        values = {k: v for k, v in item.values.items() if v not in ("", None)}
        stage = item.data.get("stage") or None
        customer = ctx.state["batch_customers"][item.data["customer_ref"]]
        return Opportunity(**values, customer=customer, pipeline=ctx.state["pipeline"], stage=stage)

    def place(self, item: Item, batch: Batch, plan, ctx: ImportContext) -> None:
        ctx.state["batch_customers"] = batch.data["customers"]
        super().place(item, batch, plan, ctx)
