"""A model importer: an object type's import declared rather than written by hand.

:class:`ModelImporter` does for one model what each hand-written ``process`` function used to
do on its own: clean every mapped column from the model field it sets (text and the field's
validators, choices by code or label in either language, dictionary-backed choices, dates in
the project's range, decimals, yes/no), collect every bad row with the field's label, refuse
duplicates within the file, find the existing records a batch refers to (a per-batch
:meth:`~ModelImporter.prefetch`: one query per batch, never one per row), honour the run's
mode (skip / update / create) and the edit scope, carry child rows (columns with a prefix,
e.g. a customer's contact on the customer's row, see :class:`ChildImporter`) and write the
batch through the declared :attr:`~ModelImporter.create` / :attr:`~ModelImporter.update`
callables (the object type's save path; audited bulk writes by default).

An object type declares its columns and overrides only the hooks where its rules differ
(``resolve``, ``check``, ``apply``, ``build``...). The engine around it (:mod:`.imports`:
reading, mapping, batches in transactions, retries row by row, the error report) is unchanged:
:meth:`ModelImporter.register` registers a plain :class:`~.imports.Importer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .actions import bulk_create_audited, bulk_save_audited
from .customfields import clean_custom_values, coerce_custom_value, definitions, is_opted_in
from .fields import dictionary_of
from .imports import (
    ImportContext,
    Importer,
    ImportField,
    Row,
    choice_lookup,
    dictionary_lookup,
    parse_bool,
    parse_date,
    parse_decimal,
    register_importer,
)
from .stores import find_object_type

#: how an existing record was found: by a unique key (create mode cannot make another one) or
#: by likeness (a matcher's guess: create mode creates a new record anyway)
KEY = "number"
LIKENESS = "match"


# --- Cleaning a value from its model field --------------------------------------------------


def _not_a_choice(text: str) -> ValidationError:
    return ValidationError(_("“%(value)s” is not one of the choices.") % {"value": text[:40]})


def field_cleaner(
    model: type[models.Model], name: str, words: dict[str, str] | None = None
) -> Callable[[Any], Any]:
    """A function that turns a cell into the value of ``model.name``, or raises a translated
    ValidationError. Built once per run: lookups and validators are prepared here, not per row.

    Dictionary-backed choices (:func:`kehu.core.fields.dictionary_choices`) take an active
    entry's code or label; plain choices a code or label in either language (or one of
    ``words``); empty cells give the field's default."""
    f = model._meta.get_field(name)
    dictionary = dictionary_of(f)
    if dictionary:
        lookup = dictionary_lookup(dictionary)

        def clean_dictionary(value):
            text = str(value or "").strip()
            if not text:
                return ""
            code = lookup.get(text.lower())
            if code is None:
                raise _not_a_choice(text)
            return code

        return clean_dictionary
    if f.choices:
        lookup = choice_lookup(f.choices, words)

        def clean_choice(value):
            text = str(value or "").strip()
            if not text:
                return f.get_default()
            code = lookup.get(text.lower())
            if code is None:
                raise _not_a_choice(text)
            return code

        return clean_choice
    if isinstance(f, models.DateField):

        def clean_date(value):
            parsed = parse_date(value)
            return parsed if parsed is not None else f.get_default()

        return clean_date
    if isinstance(f, models.DecimalField):

        def clean_decimal(value):
            parsed = parse_decimal(value)
            if parsed is None:
                return f.get_default()
            f.run_validators(parsed)
            return parsed

        return clean_decimal
    if isinstance(f, models.BooleanField):
        return parse_bool

    def clean_text(value):
        text = "" if value is None else str(value).strip()
        if text:
            f.run_validators(text)
        return text

    return clean_text


def clean_values(
    row: Row, cleaners: dict, labels: dict, names: Sequence[str], prefix: str = ""
) -> dict:
    """The row's mapped columns ``prefix + name`` cleaned; every bad one is a row error
    ("label: message"), so a row reports all its problems at once."""
    out = {}
    for name in names:
        raw = row.values.get(prefix + name)
        if raw is None:
            continue
        try:
            out[name] = cleaners[name](raw)
        except ValidationError as exc:
            for message in exc.messages:
                row.fail(f"{labels[prefix + name]}: {message}")
    return out


def required_error(row: Row, label: str) -> None:
    row.fail(f"{label}: " + _("This field is required."))


# --- What a batch carries -------------------------------------------------------------------


@dataclass
class Item:
    """One row on its way through :meth:`ModelImporter.process`."""

    row: Row
    values: dict[str, Any]
    #: prefix -> the child's cleaned values, or None when its columns are empty
    children: dict[str, dict | None] = field(default_factory=dict)
    #: what the declaration's hooks resolved for the row (owner, parent, customer, ...)
    data: dict[str, Any] = field(default_factory=dict)
    #: (existing record, KEY or LIKENESS) set by ``prefetch`` or ``resolve``
    match: tuple[models.Model, str] | None = None
    #: the record the row creates or updates
    obj: models.Model | None = None


@dataclass
class Batch:
    """What a batch refers to, loaded once by ``prefetch``."""

    #: records the rows may update; the engine reads which of them the user may edit (one
    #: query, update mode only) into ``editable``
    candidates: list[models.Model] = field(default_factory=list)
    editable: set[Any] = field(default_factory=set)
    data: dict[str, Any] = field(default_factory=dict)
    #: prefix -> {(parent id, key value): existing child} (update mode)
    children: dict[str, dict] = field(default_factory=dict)


@dataclass
class Plan:
    new: list[Item] = field(default_factory=list)
    updates: list[Item] = field(default_factory=list)


def audited_create(model: type[models.Model]) -> Callable[[list, ImportContext], None]:
    def create(objs: list, ctx: ImportContext) -> None:
        bulk_create_audited(model, objs, batch=ctx.batch, fast=True)

    return create


def audited_update(objs: list, fields: list[str], ctx: ImportContext) -> None:
    bulk_save_audited(objs, fields, batch=ctx.batch)


def writers(model: type[models.Model]) -> tuple[Callable, Callable]:
    """How rows of ``model`` are written: its object type's import actions (the one save path,
    ``ObjectActions.import_create`` / ``import_update``), or the audited defaults for a model
    no object type registers."""
    ot = find_object_type(model)
    if ot is not None:
        return ot.actions.import_create, ot.actions.import_update
    return audited_create(model), audited_update


# --- Child rows -----------------------------------------------------------------------------


@dataclass
class ChildImporter:
    """Child records carried on the parent's row in ``<prefix><field>`` columns (a customer's
    contact, an order's line): both are written or neither. In update mode a child of an
    updated parent with the same ``key`` is updated (its non-empty cells), else created."""

    model: type[models.Model]
    #: the foreign key to the parent
    parent_field: str
    prefix: str
    fields: list[str]
    #: field -> (column label, header aliases)
    meta: dict[str, tuple[Any, tuple[str, ...]]]
    required: tuple[str, ...] = ("name",)
    key: str = "name"
    #: parent attributes a child copies (it follows its parent's owner)
    inherit: tuple[str, ...] = ()
    #: values of a child created together with a new parent (its first child)
    first_child: dict[str, Any] = field(default_factory=dict)
    #: only for a model no object type registers (else its ``ObjectActions.import_*``)
    create: Callable[[list, ImportContext], None] | None = None
    update: Callable[[list, list[str], ImportContext], None] | None = None

    def import_fields(self) -> list[ImportField]:
        return [
            ImportField(f"{self.prefix}{name}", label, aliases=aliases)
            for name in self.fields
            for label, aliases in [self.meta[name]]
        ]

    def clean(self, row: Row, cleaners: dict, labels: dict) -> dict | None:
        if not any(str(row.values.get(self.prefix + n) or "").strip() for n in self.fields):
            return None
        values = clean_values(row, cleaners, labels, self.fields, self.prefix)
        for name in self.required:
            if not values.get(name):
                required_error(row, labels[self.prefix + name])
        return values

    def build(self, parent: models.Model, values: dict, *, new_parent: bool) -> models.Model:
        child = self.model(**{self.parent_field: parent}, **values)
        for attname in self.inherit:
            setattr(child, attname, getattr(parent, attname))
        if new_parent:
            for name, value in self.first_child.items():
                setattr(child, name, value)
        return child

    def prefetch(self, items: list[Item], parent_ids: list) -> dict:
        """{(parent id, key): child} of the updated parents: one query per batch."""
        keys = {
            c[self.key] for i in items if (c := i.children.get(self.prefix)) and c.get(self.key)
        }
        found: dict = {}
        if parent_ids and keys:
            parent = f"{self.parent_field}_id"
            for child in self.model.objects.filter(
                **{f"{parent}__in": parent_ids, f"{self.key}__in": keys}
            ):
                found.setdefault((getattr(child, parent), getattr(child, self.key)), child)
        return found


# --- The model importer ---------------------------------------------------------------------


class ModelImporter:
    """Declare a subclass per object type; :meth:`register` it. See the module docstring."""

    model: ClassVar[type[models.Model]]
    verbose_name: Any = None
    #: the columns in the mapping page's order: a model field's name, or an ImportField for a
    #: column the hooks resolve themselves (an owner, a parent by number or name)
    columns: ClassVar[Sequence[str | ImportField]] = ()
    required: ClassVar[tuple[str, ...]] = ("name",)
    aliases: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: more words for plain choices (公司 → company)
    choice_words: ClassVar[dict[str, str]] = {}
    children: ClassVar[Sequence[ChildImporter]] = ()
    #: fields an update writes (the model columns by default)
    update_fields: ClassVar[Sequence[str]] = ()
    perm: str = ""
    formats: tuple[str, ...] = ("csv", "xlsx")
    #: {column name: value}: the example row of the downloadable template
    examples: ClassVar[dict[str, Any]] = {}
    #: the save path is the object type's ``ObjectActions.import_create`` / ``import_update``;
    #: these two only serve a model no object type registers
    create: Callable[[list, ImportContext], None] | None = None
    update: Callable[[list, list[str], ImportContext], None] | None = None

    def __init__(self) -> None:
        self.model_fields = [c for c in self.columns if isinstance(c, str)]
        self.importer = Importer(
            label=self.model._meta.label_lower,
            verbose_name=self.verbose_name or self.model._meta.verbose_name_plural,
            fields=self.import_fields(),
            process=self.process,
            prepare=self.prepare,
            perm=self.perm,
            formats=self.formats,
            examples=dict(self.examples),
            extra_fields=self.custom_fields if is_opted_in(self.model) else None,
        )

    @classmethod
    def register(cls) -> ModelImporter:
        declared = cls()
        register_importer(declared.importer)
        return declared

    # --- declaration ------------------------------------------------------------------------

    def import_fields(self) -> list[ImportField]:
        fields = []
        for column in self.columns:
            if isinstance(column, ImportField):
                fields.append(column)
                continue
            fields.append(
                ImportField(
                    column,
                    self.model._meta.get_field(column).verbose_name,
                    required=column in self.required,
                    aliases=self.aliases.get(column, ()),
                )
            )
        for child in self.children:
            fields.extend(child.import_fields())
        return fields

    def custom_fields(self) -> list[ImportField]:
        """The model's active custom fields as columns ``custom.<code>``: their label in the
        reader's language, both labels and the code recognised as headers. Required unless the
        definition has a default (as on the form)."""
        return [
            ImportField(
                d.key,
                lazy(d.label, str)(),
                required=d.required and d.default is None,
                aliases=tuple(a for a in (d.label_zh, d.label_en, d.code) if a),
                help=d.help_text,
            )
            for d in definitions(self.model)
        ]

    def prepare(self, ctx: ImportContext) -> None:
        """Once per run: the cleaners (lookups read once) and the column labels."""
        st = ctx.state
        st["cleaners"] = {
            n: field_cleaner(self.model, n, self.choice_words) for n in self.model_fields
        }
        st["child_cleaners"] = {
            child.prefix: {
                n: field_cleaner(child.model, n, self.choice_words) for n in child.fields
            }
            for child in self.children
        }
        st["labels"] = {f.name: capfirst(str(f.label)) for f in self.importer.all_fields()}
        st["custom"] = (
            {d.key: d for d in definitions(self.model)} if is_opted_in(self.model) else {}
        )

    # --- the batch --------------------------------------------------------------------------

    def process(self, rows: list[Row], ctx: ImportContext) -> None:
        """Validate a batch; unless a dry run, write it (the engine holds the transaction)."""
        items = [self.clean_row(row, ctx) for row in rows]
        good = [i for i in items if i.row.outcome != "error"]
        batch = Batch()
        self.prefetch(good, batch, ctx)
        if ctx.mode == "update" and batch.candidates:
            batch.editable = set(
                self.model.objects.editable_by(ctx.user)
                .filter(pk__in=[c.pk for c in batch.candidates])
                .values_list("pk", flat=True)
            )
        if ctx.mode == "update":
            ids = [i.match[0].pk for i in good if i.match and i.match[0].pk in batch.editable]
            for child in self.children:
                batch.children[child.prefix] = child.prefetch(good, ids)
        plan = Plan()
        for item in good:
            self.place(item, batch, plan, ctx)
        if not ctx.dry_run:
            self.write(plan, batch, ctx)

    def clean_row(self, row: Row, ctx: ImportContext) -> Item:
        st = ctx.state
        labels = st["labels"]
        item = Item(row, clean_values(row, st["cleaners"], labels, self.model_fields))
        for name in self.required:
            if not item.values.get(name):
                required_error(row, labels[name])
        for child in self.children:
            item.children[child.prefix] = child.clean(
                row, st["child_cleaners"][child.prefix], labels
            )
        self.clean_custom(item, ctx)
        self.clean_extra(item, ctx)
        return item

    def clean_custom(self, item: Item, ctx: ImportContext) -> None:
        """The row's custom-field columns into ``item.data["custom"]`` ({code: value}; an empty
        cell is left out): each cell read as the form reads it, every bad one a row error."""
        row, st = item.row, ctx.state
        out = {}
        for key, defn in st["custom"].items():
            raw = row.values.get(key)
            if raw is None:
                continue
            try:
                value = coerce_custom_value(defn, raw)
            except ValidationError as exc:
                for message in exc.messages:
                    row.fail(f"{st['labels'][key]}: {message}")
                continue
            if value is not None:
                out[defn.code] = value
        item.data["custom"] = out

    def apply_custom(self, item: Item, obj: models.Model, ctx: ImportContext, *, new: bool) -> None:
        """Merge the row's custom values into ``obj.custom`` with the one validation forms and
        the API use: a new record gets the defaults and needs the required fields."""
        if not ctx.state["custom"]:
            return
        try:
            obj.custom = clean_custom_values(
                self.model,
                item.data.get("custom", {}),
                existing=getattr(obj, "custom", None) or {},
                creating=new,
                enforce_required=new,
            )
        except ValidationError as exc:
            labels = {
                d.code: ctx.state["labels"].get(d.key, d.code) for d in ctx.state["custom"].values()
            }
            for code, messages in exc.message_dict.items():
                for message in messages:
                    item.row.fail(f"{labels.get(code, code)}: {message}")

    def place(self, item: Item, batch: Batch, plan: Plan, ctx: ImportContext) -> None:
        """Decide the row's outcome: a duplicate in the file, an error, skipped, an update of
        the matched record or a new one."""
        row = item.row
        self.resolve(item, batch, ctx)
        if row.outcome in ("error", "deferred", "duplicate"):  # resolve may find the row twice
            return
        keys = self.keys(item)
        # (a deferred row meets its own keys again when it comes back)
        first = next((ctx.seen[k] for k in keys if ctx.seen.get(k, row.number) != row.number), None)
        if first is not None:
            row.outcome = "duplicate"
            row.errors.append(self.duplicate_message(first, ctx))
            return
        for k in keys:
            ctx.first_seen(k, row.number)
        self.check(item, batch, ctx)
        if row.outcome in ("error", "deferred"):
            return
        mode = ctx.mode
        if item.match is not None and not (mode == "create" and item.match[1] != KEY):
            existing, how = item.match
            if mode == "skip":
                row.outcome = "skipped"
                row.record = (existing.pk, str(existing))
                row.preview = self.skip_preview(item, existing)
                self.placed(item, existing, ctx)
                return
            if mode == "create":  # a unique key is taken: a new record cannot have it
                row.fail(self.key_taken_message(item, existing, ctx))
                return
            if existing.pk not in batch.editable:
                row.fail(self.not_editable_message(existing, ctx))
                return
            self.apply(item, existing, how, batch, ctx)
            self.apply_custom(item, existing, ctx, new=False)
            if row.outcome == "error":
                return
            row.outcome = "updated"
            item.obj = existing
            self.placed(item, existing, ctx)
            plan.updates.append(item)
        else:
            item.obj = self.build(item, ctx)
            self.apply_custom(item, item.obj, ctx, new=True)
            if row.outcome == "error":
                return
            row.outcome = "created"
            self.placed(item, item.obj, ctx)
            plan.new.append(item)
        if ctx.dry_run:
            row.preview = self.preview(item)
            for key, defn in ctx.state["custom"].items():
                value = (item.obj.custom or {}).get(defn.code)
                if value is not None:
                    row.preview[key] = defn.display(value)

    def write(self, plan: Plan, batch: Batch, ctx: ImportContext) -> None:
        """New records, then their children; updates, then theirs (created or updated)."""
        create, update = writers(self.model)
        (self.create or create)([i.obj for i in plan.new], ctx)
        self.created(plan.new, ctx)
        pending = [(child, *self._children(child, plan, batch)) for child in self.children]
        if plan.updates:
            objs = [i.obj for i in plan.updates]
            fields = list(self.update_fields or self.model_fields)
            if ctx.state["custom"]:
                fields.append("custom")
            (self.update or update)(objs, fields, ctx)
            self.updated(objs, ctx)
        for child, new_children, changed in pending:
            child_create, child_update = writers(child.model)
            if new_children:
                (child.create or child_create)(new_children, ctx)
            if changed:
                (child.update or child_update)(changed, child.fields, ctx)

    def _children(self, child: ChildImporter, plan: Plan, batch: Batch) -> tuple[list, list]:
        """The child records to create and those to update (with the row's non-empty cells)."""
        new_children, changed = [], []
        for item in plan.new:
            if values := item.children.get(child.prefix):
                new_children.append(child.build(item.obj, values, new_parent=True))
        existing = batch.children.get(child.prefix, {})
        for item in plan.updates:
            if values := item.children.get(child.prefix):
                current = existing.get((item.obj.pk, values[child.key]))
                if current is None:
                    new_children.append(child.build(item.obj, values, new_parent=False))
                else:
                    for name, value in values.items():
                        if value not in ("", None):
                            setattr(current, name, value)
                    changed.append(current)
        return new_children, changed

    # --- hooks ------------------------------------------------------------------------------

    def clean_extra(self, item: Item, ctx: ImportContext) -> None:
        """Columns that are no model field (an owner...): resolve them into ``item.data``."""

    def prefetch(self, items: list[Item], batch: Batch, ctx: ImportContext) -> None:
        """Load what the batch refers to (one query per kind, not per row); set ``item.match``
        and ``batch.candidates``."""

    def resolve(self, item: Item, batch: Batch, ctx: ImportContext) -> None:
        """Before the duplicate check (what the row's keys depend on)."""

    def keys(self, item: Item) -> list:
        """The row's identities in the file: a second row with one of them is a duplicate."""
        return []

    def check(self, item: Item, batch: Batch, ctx: ImportContext) -> None:
        """After the duplicate check: refuse (``row.fail``) or defer the row."""

    def apply(self, item: Item, existing: models.Model, how: str, batch, ctx) -> None:
        """Update ``existing`` from the row: its non-empty cells."""
        for name, value in item.values.items():
            if value not in ("", None):
                setattr(existing, name, value)

    def build(self, item: Item, ctx: ImportContext) -> models.Model:
        return self.model(**item.values)

    def placed(self, item: Item, obj: models.Model, ctx: ImportContext) -> None:
        """The row created, updated or skipped ``obj`` (later rows may refer to it)."""

    def created(self, items: list[Item], ctx: ImportContext) -> None:
        """After the new records were written (they have their ids)."""

    def updated(self, objs: list[models.Model], ctx: ImportContext) -> None:
        """After the updates were written."""

    def duplicate_message(self, first: int, ctx: ImportContext) -> str:
        return _("Same record as row %(row)s of the file.") % {"row": first}

    def key_taken_message(self, item: Item, existing: models.Model, ctx: ImportContext) -> str:
        return _("This record exists already.")

    def not_editable_message(self, existing: models.Model, ctx: ImportContext) -> str:
        return _("Matches a record you may not edit.")

    def skip_preview(self, item: Item, existing: models.Model) -> dict[str, Any]:
        return {"name": str(existing)}

    def preview(self, item: Item) -> dict[str, Any]:
        """What the dry run shows for a created or updated row."""
        out = {}
        obj = item.obj
        for f in obj._meta.concrete_fields:
            if f.name in self.model_fields:
                value = getattr(obj, f.attname)
                if f.choices and value:
                    value = dict(f.flatchoices).get(value, value)
                out[f.name] = value
        return out
