"""Importing competitors from a file (name, website, strengths, weaknesses, notes); each is
saved by ``save_competitor``, the object type's ``import_create``. The name is the key: a row
naming an existing competitor (in any letter case) is skipped, updates it or is refused,
as the run's mode says."""

from __future__ import annotations

from kehu.core.imports import ImportContext
from kehu.core.model_import import KEY, Batch, Item, ModelImporter

from ..models import Competitor


class CompetitorImporter(ModelImporter):
    model = Competitor
    columns = ["name", "website", "strengths", "weaknesses", "notes", "active"]
    aliases = {
        "name": ("竞争对手", "对手名称", "公司名称", "名称", "competitor"),
        "website": ("网址", "官网", "网站", "website", "url"),
        "strengths": ("优势", "strengths"),
        "weaknesses": ("劣势", "weaknesses"),
        "notes": ("备注", "notes"),
        "active": ("有效", "启用", "active"),
    }
    required = ("name",)
    perm = "sales.add_competitor"
    examples = {
        "name": "示例软件有限公司",
        "website": "https://www.example.com",
        "strengths": "价格低",
    }

    def clean_extra(self, item: Item, ctx: ImportContext) -> None:
        name = str(item.values.get("name") or "").strip()
        item.values["name"] = name
        item.data["key"] = name.casefold()

    def keys(self, item: Item) -> list:
        return [("name", item.data["key"])] if item.data.get("key") else []

    def prefetch(self, items: list[Item], batch: Batch, ctx: ImportContext) -> None:
        """The competitors the batch names, one query (names are few and short)."""
        wanted = {i.data["key"] for i in items if i.data.get("key")}
        if not wanted:
            return
        found = {}
        for competitor in Competitor.objects.order_by("pk"):
            key = competitor.name.casefold()
            if key in wanted:
                found.setdefault(key, competitor)
        for item in items:
            existing = found.get(item.data.get("key"))
            if existing is not None:
                item.match = (existing, KEY)
        batch.candidates = list(found.values())
