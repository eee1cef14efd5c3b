"""Importing customers (with an optional contact per row) and contacts (CSV, XLSX, vCard).

Both importers are declarations on :class:`kehu.core.model_import.ModelImporter`: it cleans
each column from the model field (validators, dictionary codes or labels, choices, dates,
decimals), reports every bad row, refuses duplicates within the file and writes through the
declared save path; what is particular to customers and contacts is in the hooks below (owner,
parent company, number series, the customer a contact row names). Nothing costs a query per
row: owners once per run, the existing records a batch refers to once per batch. Existing
records are found by customer number, else by the pluggable :func:`find_existing` hook
(identity resolution plugs its fuzzy matcher in there).
"""

from __future__ import annotations

import contextvars
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.actions import bulk_create_audited, bulk_save_audited
from kehu.core.imports import ImportContext, ImportField, Row
from kehu.core.model_import import (
    KEY,
    LIKENESS,
    Batch,
    ChildImporter,
    Item,
    ModelImporter,
    Plan,
    field_cleaner,
    required_error,
)
from kehu.core.permissions import Access, SpecialPermission
from kehu.core.phones import national as phone_national
from kehu.core.text import without_spaces

from ..models import CUSTOMER_FIELDS, Contact, Customer
from .customer import mnemonic_for, take_customer_numbers

CHOICE_WORDS = {
    "公司": "company",
    "企业": "company",
    "单位": "company",
    "个人": "individual",
    "m": "male",
    "男": "male",
    "f": "female",
    "女": "female",
}


# --- Matching existing customers ------------------------------------------------------------


def normalise_name(name: str) -> str:
    """Full-width to half-width, no spaces, case-folded: 北京 华为 / 北京华为 match."""
    return without_spaces(name)


def normalise_phone(phone: str) -> str:
    """The national significant number (the search index's rule, ``kehu.core.phones``):
    +86 138-0013-8000 = 13800138000, +86 21 5555 0001 = 021-55550001."""
    return phone_national(phone)


_batch_index: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "kehu_import_match_index", default=None
)


def find_existing(values: dict, *, user) -> Customer | None:
    """The customer a new row (or form) describes, among those ``user`` may see: the default
    rule is the same normalised name and the same normalised main phone.

    Identity resolution replaces this one function (:func:`set_customer_matcher`) with its
    scored fuzzy matcher. During an import the candidates of a whole batch are preloaded, so the
    default costs no query per row."""
    name, phone = normalise_name(values.get("name", "")), normalise_phone(values.get("phone", ""))
    if not name or not phone:
        return None
    index = _batch_index.get()
    if index is not None:
        return index.get((name, phone))
    for candidate in Customer.objects.visible_to(user).filter(name=str(values["name"]).strip()):
        if normalise_phone(candidate.phone) == phone:
            return candidate
    return None


_matcher: Callable[..., Customer | None] = find_existing


def set_customer_matcher(fn: Callable[..., Customer | None]) -> None:
    """Plug in another ``fn(values: dict, *, user) -> Customer | None`` (identity resolution)."""
    global _matcher
    _matcher = fn


def customer_matcher() -> Callable[..., Customer | None]:
    return _matcher


def _match_index(values_list: list[dict], user) -> dict:
    names = {str(v.get("name", "")).strip() for v in values_list if v.get("phone")}
    names |= {unicodedata.normalize("NFKC", n) for n in names}
    names.discard("")
    index = {}
    if names:
        for c in Customer.objects.visible_to(user).filter(name__in=names).order_by("pk"):
            index.setdefault((normalise_name(c.name), normalise_phone(c.phone)), c)
    return index


# --- Owners ---------------------------------------------------------------------------------


def _owners(user) -> dict[str, tuple[int, int | None]]:
    """{username or name (lower-cased): (user id, department id)} of the people ``user`` may
    make owners of customers (their edit scope)."""
    from kehu.system.access import people_in_scope

    people = {}
    for p in people_in_scope(user, Customer, Access.EDIT).only(
        "id", "username", "display_name", "first_name", "last_name", "department_id"
    ):
        for key in (p.username, p.display_name, p.get_full_name(), str(p)):
            if key:
                people.setdefault(key.strip().lower(), (p.pk, p.department_id))
    return people


def _resolve_owner(row: Row, ctx: ImportContext, label: str) -> tuple[int, int | None] | None:
    """(owner id, department id) for the row: the mapped owner if the user may assign them,
    else the importing user."""
    user = ctx.user
    raw = str(row.values.get("owner") or "").strip()
    if not raw:
        return user.pk, user.department_id
    found = ctx.state["owners"].get(raw.lower())
    if found is None:
        row.fail(
            _("%(field)s: there is no employee “%(value)s” whose records you may manage.")
            % {"field": label, "value": raw[:40]}
        )
        return None
    if found[0] != user.pk and not ctx.state["may_reassign"]:
        row.fail(_("%(field)s: you may not assign records to others.") % {"field": label})
        return None
    return found


# --- Customers ------------------------------------------------------------------------------
#: What a file row may set directly: the edited fields but the parent company (its own column,
#: resolved by number or name).
CUSTOMER_IMPORT_FIELDS = [f for f in CUSTOMER_FIELDS if f != "parent"]
CUSTOMER_ALIASES = {
    "number": ("客户编号", "编号", "客户编码", "customer no", "customer number", "code", "no"),
    "name": (
        "客户名称",
        "客户",
        "公司名称",
        "单位名称",
        "名称",
        "customer",
        "company",
        "company name",
    ),
    "mnemonic": ("助记码", "mnemonic"),
    "kind": ("客户类别", "类别", "kind"),
    "customer_type": ("客户类型", "类型", "type"),
    "status": ("客户状态", "状态", "status"),
    "level": ("客户等级", "客户级别", "等级", "级别", "level", "grade", "customer level"),
    "industry": ("行业", "所属行业", "industry"),
    "source": ("客户来源", "来源", "来源渠道", "source", "customer source", "lead source"),
    "credit_rating": ("信用等级", "信用评级", "credit rating"),
    "credit_limit": ("信用额度", "credit limit"),
    "phone": ("电话", "公司电话", "联系电话", "主电话", "tel", "telephone", "phone"),
    "fax": ("传真", "fax"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail", "mail"),
    "website": ("网址", "网站", "主页", "website", "web", "url"),
    "city": ("城市", "所在城市", "city"),
    "address": ("地址", "办公地址", "公司地址", "address"),
    "postcode": ("邮编", "邮政编码", "postcode", "zip", "postal code"),
    "birthday": ("生日", "出生日期", "birthday", "date of birth", "dob"),
    "finance_contact": ("财务联系人",),
    "finance_phone": ("财务电话",),
    "registered_on": ("登记日期", "建档日期", "创建日期", "registration date", "registered"),
    "notes": ("备注", "说明", "notes", "note", "remarks", "comment"),
}
#: the contact a customer row may carry: "contact_<field>" columns
ROW_CONTACT_FIELDS = ["name", "title", "mobile", "office_phone", "email"]
ROW_CONTACT_META = {
    "name": (gettext_lazy("Contact name"), ("联系人", "联系人姓名", "contact", "contact person")),
    "title": (gettext_lazy("Contact job title"), ("联系人职务", "职务", "职位", "job title")),
    "mobile": (gettext_lazy("Contact mobile"), ("联系人手机", "手机", "手机号", "mobile", "cell")),
    "office_phone": (gettext_lazy("Contact office phone"), ("联系人电话", "联系人办公电话")),
    "email": (gettext_lazy("Contact e-mail"), ("联系人邮箱", "联系人电子邮件", "contact email")),
}
PARENT_FIELD = ImportField(
    "parent",
    Customer._meta.get_field("parent").verbose_name,
    aliases=("上级公司", "母公司", "上级客户", "parent", "parent company"),
    help=gettext_lazy(
        "Customer number or exact name of the parent company: an existing customer or "
        "a row of the same file (also a later one)."
    ),
)
OWNER_FIELD = ImportField(
    "owner",
    gettext_lazy("Owner"),
    aliases=("负责人", "所有人", "业务员", "销售", "销售员", "owner", "sales rep"),
    help=gettext_lazy("User name or name of an employee; empty: you."),
)


def _number_new(customers: list[Customer], reserved: set[str]) -> None:
    """Give the batch's new customers without a number the next ones of the series, skipping
    numbers the file itself uses. Taken inside the batch's transaction: a batch that is rolled
    back gives its numbers back."""
    missing = [c for c in customers if not c.number]
    while missing:
        numbers = [n for n in take_customer_numbers(len(missing)) if n not in reserved]
        for customer, number in zip(missing, numbers, strict=False):
            customer.number = number
        missing = missing[len(numbers) :]


def _numbers_in_use(numbers: set[str], user) -> tuple[dict[str, Customer], set[str]]:
    """The customers with these numbers that ``user`` may see, and the numbers taken by customers
    outside their view scope. A number is unique, so such a row is refused, but the importer
    learns only that the number is in use: matching by number never reveals a record (name,
    owner, anything) the user could not open. One query for the visible records, and only if some
    number was not among them a second one that reads numbers alone."""
    if not numbers:
        return {}, set()
    visible = {c.number: c for c in Customer.objects.visible_to(user).filter(number__in=numbers)}
    rest = numbers - set(visible)
    taken = set()
    if rest:
        taken = set(Customer.objects.filter(number__in=rest).values_list("number", flat=True))
    return visible, taken


def _existing_parents(items: list[Item], user) -> dict[str, list[Customer]]:
    """{number or exact name: visible customers} for the parent column of a batch."""
    refs = {str(i.row.values.get("parent") or "").strip() for i in items} - {""}
    found: dict[str, list[Customer]] = {}
    if refs:
        for c in (
            Customer.objects.visible_to(user)
            .filter(models.Q(number__in=refs) | models.Q(name__in=refs))
            .only("id", "number", "name", "parent_id")
            .order_by("pk")
        ):
            if c.number in refs:
                found.setdefault(f"number:{c.number}", []).append(c)
            if c.name in refs:
                found.setdefault(f"name:{c.name}", []).append(c)
    return found


def _remember(row: Row, values: dict, customer: Customer, ctx: ImportContext) -> None:
    """A row that placed a customer: later rows may name it as their parent company (by the
    file's number or name). Kept with the duplicate keys, so a rolled-back batch forgets it.
    Only when the file has a parent column (else no row can name one: no memory spent)."""
    if "parent" not in row.values:
        return
    rows = ctx.state.setdefault("row_customers", {})
    rows[row.number] = customer.pk if customer.pk is not None else customer  # id once written
    if values.get("number"):
        ctx.first_seen(("parent-ref", "number", values["number"]), row.number)
    if values.get("name"):
        ctx.first_seen(("parent-ref", "name", values["name"]), row.number)


def _file_parent(ref: str, ctx: ImportContext) -> int | Customer | None:
    for how in ("number", "name"):
        n = ctx.seen.get(("parent-ref", how, ref))
        if n is not None:
            return ctx.state["row_customers"].get(n)
    return None


def _resolve_parent(
    row: Row, values: dict, ctx: ImportContext, existing: dict[str, list[Customer]]
) -> int | None:
    """The parent company the row names: an existing customer the user may see (by number,
    else by exact name), else a row of the file (by its number, else its name). A row that
    names a row not placed yet is deferred (the engine brings it back after the last batch);
    in the last pass it fails: not found, or a cycle of rows naming each other."""
    raw = str(row.values.get("parent") or "").strip()
    if not raw:
        return None
    label = ctx.state["labels"]["parent"]
    pending = ctx.state.setdefault("pending_parents", {})
    by_number = existing.get(f"number:{raw}")
    if by_number:
        pending.pop(row.number, None)
        return by_number[0].pk
    in_file = _file_parent(raw, ctx)
    if in_file is None:
        by_name = existing.get(f"name:{raw}", [])
        if len(by_name) > 1:
            row.fail(
                _("%(field)s: several customers are named “%(value)s”; use the customer number.")
                % {"field": label, "value": raw[:60]}
            )
            return None
        if by_name:
            pending.pop(row.number, None)
            return by_name[0].pk
    if isinstance(in_file, int) or (in_file is not None and ctx.dry_run):
        pending.pop(row.number, None)
        return in_file if isinstance(in_file, int) else None  # a dry run writes nothing
    if not ctx.final:
        row.outcome = "deferred"
        pending[row.number] = (values.get("number") or "", values.get("name") or "", raw)
        return None
    row.fail(_parent_failure(row.number, raw, pending, label))
    return None


def _parent_failure(number: int, raw: str, pending: dict, label: str) -> str:
    """Why a row's parent company cannot be found in the last pass: a cycle of file rows, a
    parent row that failed itself, or no such customer."""

    def row_named(ref: str) -> int | None:
        return next(
            (n for n, (num, name, _p) in sorted(pending.items()) if ref in (num, name)), None
        )

    chain, current = [number], row_named(raw)
    while current is not None and current not in chain:
        chain.append(current)
        current = row_named(pending[current][2])
    cycle = chain[chain.index(current) :] if current is not None else []
    if cycle == [number]:
        return _("%(field)s: a customer cannot be its own parent company.") % {"field": label}
    if number in cycle:
        return _("%(field)s: the rows %(rows)s name each other as parent company (a cycle).") % {
            "field": label,
            "rows": ", ".join(str(n) for n in sorted(cycle)),
        }
    if len(chain) > 1:
        return _("%(field)s: the parent company's row %(row)s could not be imported.") % {
            "field": label,
            "row": chain[1],
        }
    return _(
        "%(field)s: there is no customer “%(value)s” (number or exact name) that you may choose, "
        "neither in the file."
    ) % {"field": label, "value": raw[:60]}


def _makes_cycle(pk: int, parent_id: int, assigned: dict[int, int]) -> bool:
    """Would ``parent_id`` above customer ``pk`` close a loop (counting the parents this batch
    has just assigned, not written yet)?"""
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == pk:
            return True
        seen.add(current)
        if current in assigned:
            current = assigned[current]
        else:
            current = (
                Customer.objects.filter(pk=current).values_list("parent_id", flat=True).first()
            )
    return False


def _sync_owners(customers: list[Customer], batch: str) -> None:
    """Contacts follow their customer's owner and department (as a form save keeps them)."""
    by_pk = {c.pk: c for c in customers}
    stale = []
    for ct in Contact.objects.filter(customer_id__in=list(by_pk)):
        c = by_pk[ct.customer_id]
        if (ct.owner_id, ct.department_id) != (c.owner_id, c.department_id):
            ct.owner_id, ct.department_id = c.owner_id, c.department_id
            stale.append(ct)
    if stale:
        bulk_save_audited(stale, ["owner", "department"], batch=batch)


def _preview(obj: models.Model, contact: dict | None = None) -> dict[str, Any]:
    out = {}
    for f in obj._meta.concrete_fields:
        if f.name in CUSTOMER_IMPORT_FIELDS or f.name in CONTACT_IMPORT_FIELDS:
            value = getattr(obj, f.attname)
            if f.choices and value:
                value = dict(f.flatchoices).get(value, value)
            out[f.name] = value
    if obj._state.adding and isinstance(obj, Customer) and not obj.number:
        out["number"] = _("(automatic)")
    if contact:
        out["contact"] = " · ".join(str(v) for v in contact.values() if v)
    return out


def _queue_uncertain(items: list[Item], ctx: ImportContext) -> int:
    """The pairs the model could not decide, for the duplicate queue: each new customer with
    the records and the earlier rows it may be, and — in "create anyway" mode — with the
    record it was taken for. Returns how many pairs were queued."""
    from kehu.customers import matching
    from kehu.customers.models.matching import DuplicateCandidate

    from .matching import profile_of, store_pairs

    pairs: dict[tuple[int, int], Any] = {}
    for item in items:
        pk = item.obj.pk
        if not pk:
            continue
        found = list(item.data.get("uncertain", ()))
        found += [
            (other.obj.pk, score)
            for other, score in item.data.get("uncertain_rows", ())
            if other.row.outcome == "created" and other.obj is not None and other.obj.pk
        ]
        probe = item.data.get("profile")
        if item.match is not None and item.match[1] == LIKENESS and probe is not None:
            existing = item.match[0]  # taken for this record, created anyway ("create" mode)
            other = profile_of(DuplicateCandidate.Kind.CUSTOMER, model_values_of(existing))
            found.append((existing.pk, matching.compare(probe, other, ctx.state["scoring"])))
        for other_pk, score in found:
            if other_pk != pk:
                pairs.setdefault((min(pk, other_pk), max(pk, other_pk)), score)
    if not pairs:
        return 0
    return store_pairs(kind=DuplicateCandidate.Kind.CUSTOMER, pairs=pairs)


def model_values_of(customer: Customer) -> dict:
    from .matching import CUSTOMER_VALUES

    return {f: getattr(customer, f) for f in CUSTOMER_VALUES}


def create_customers(customers: list[Customer], ctx: ImportContext) -> None:
    """The customers' save path in an import (``ObjectActions.import_create`` of the type, so
    every importer of customers gets it): the next numbers of the series for those without one
    (skipping the numbers the file uses, when the importer noted them), then one audited bulk
    insert."""
    _number_new(customers, ctx.state.get("reserved", set()))
    bulk_create_audited(Customer, customers, batch=ctx.batch, fast=True)


class CustomerImporter(ModelImporter):
    """Customers, with an optional contact on the row (``contact_*`` columns), an owner and a
    parent company (an existing customer or a row of the file, also a later one)."""

    model = Customer
    columns = [*CUSTOMER_IMPORT_FIELDS, PARENT_FIELD, OWNER_FIELD]
    aliases = CUSTOMER_ALIASES
    examples = {
        "name": "厦门辰远贸易有限公司",
        "kind": "公司",
        "level": "B",
        "phone": "0592-5551234",
        "email": "info@chenyuan.example.cn",
        "city": "厦门",
        "address": "思明区湖滨南路88号",
        "credit_limit": "100000",
        "registered_on": "2026-01-05",
        "contact_name": "林晓",
        "contact_mobile": "13800138000",
    }
    choice_words = CHOICE_WORDS
    children = [
        ChildImporter(
            model=Contact,
            parent_field="customer",
            prefix="contact_",
            fields=ROW_CONTACT_FIELDS,
            meta=ROW_CONTACT_META,
            inherit=("owner_id", "department_id"),
            first_child={"is_primary": True},
        )
    ]
    update_fields = [*CUSTOMER_IMPORT_FIELDS, "parent", "owner", "department"]
    perm = "customers.add_customer"

    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        ctx.state["owners"] = _owners(ctx.user)
        ctx.state["may_reassign"] = ctx.user.has_perm(SpecialPermission.REASSIGN_OWNER)

    def clean_extra(self, item: Item, ctx: ImportContext) -> None:
        label = ctx.state["labels"]["owner"]
        owner = _resolve_owner(item.row, ctx, label)
        if owner is not None and owner[1] is None:
            item.row.fail(_("%(field)s: the owner belongs to no department.") % {"field": label})
        item.data["owner"] = owner

    def prefetch(self, items: list[Item], batch: Batch, ctx: ImportContext) -> None:
        """Existing numbers, parent companies and name+phone candidates of the batch; then the
        identity-resolution model for every row not placed by its number, against the book
        and against the file's earlier rows (:meth:`_identify`)."""
        user = ctx.user
        numbers = {i.values["number"] for i in items if i.values.get("number")}
        by_number, taken = _numbers_in_use(numbers, user)
        batch.data["taken"] = taken
        batch.data["parents"] = _existing_parents(items, user)
        batch.data["new_parents"] = {}  # parent companies this batch sets on existing customers
        ctx.state["reserved"] = numbers | set(by_number) | taken
        matcher = customer_matcher()
        token = _batch_index.set(_match_index([i.values for i in items], user))
        unplaced = []
        try:
            for item in items:
                number = item.values.get("number")
                if number in by_number:
                    item.match = (by_number[number], KEY)
                elif number not in taken:
                    found = matcher(item.values, user=user)
                    if found is not None:
                        item.match = (found, LIKENESS)
                    unplaced.append(item)
        finally:
            _batch_index.reset(token)
        self._identify(unplaced, ctx)
        batch.candidates = [i.match[0] for i in items if i.match]

    def _identify(self, items: list[Item], ctx: ImportContext) -> None:
        """The model's word on each row (``kehu.customers.linkage``, the scan's model): the
        record of the book it is (the mode then applies), a row of the file it repeats (an
        in-file duplicate), and the records and rows it may be (imported, queued for review).
        Earlier batches are in the database already (with their match keys), a dry run keeps
        their profiles instead; within a batch the rows are compared in memory."""
        from .matching import classify_rows, import_model

        st = ctx.state
        st["rows_seen"] = st.get("rows_seen", 0) + len(items)
        if "book_size" not in st:
            st["book_size"] = Customer.objects.count()
        rows = max(ctx.expected_rows or 0, st["rows_seen"])  # the file's size, once counted
        scoring = st["scoring"] = import_model(records=st["book_size"] + rows)
        created_rows = st.setdefault("created_rows", {})  # customer id -> row of this file
        results = classify_rows([i.values for i in items], user=ctx.user, scoring=scoring)
        index = st.setdefault("file_index", {}) if ctx.dry_run else {}
        for item, found in zip(items, results, strict=True):
            item.data.update(profile=found.profile, same_rows=[], uncertain_rows=[])
            same = found.same
            if same is not None and same.pk in created_rows:
                item.data["same_rows"].append(created_rows[same.pk])  # a row of this file
            elif same is not None and item.match is None:
                item.match = (same, LIKENESS)
            item.data["uncertain"] = [
                (pk, score) for pk, score in found.uncertain if not same or pk != same.pk
            ]
            self._against_file(item, index, scoring)

    def _against_file(self, item: Item, index: dict, scoring) -> None:
        """Compare a row with the earlier rows of the file that share a blocking key (the
        exact-copy rule does not apply here: two rows may be two namesakes)."""
        from kehu.customers import matching

        from .matching import IMPORT_CANDIDATES, nearest

        profile = item.data["profile"]
        rows: dict[int, Item] = {}
        hits = []
        for key in profile.keys:
            for other in index.get(key, ())[-matching.WINDOW :]:  # a common key: the nearest
                rows[other.row.number] = other
                hits.append((key, other.row.number))
        earlier = {n: rows[n] for n in nearest(hits, IMPORT_CANDIDATES)}
        scored = sorted(
            (
                (matching.compare(profile, other.data["profile"], scoring), number)
                for number, other in earlier.items()
            ),
            key=lambda s: (-s[0].total, s[1]),
        )
        for score, number in scored:
            if score.total >= matching.HIGH_THRESHOLD:
                item.data["same_rows"].append(earlier[number])
            elif score.total >= matching.REVIEW_THRESHOLD:
                item.data["uncertain_rows"].append((earlier[number], score))
        for key in profile.keys:
            index.setdefault(key, []).append(item)

    def resolve(self, item: Item, batch: Batch, ctx: ImportContext) -> None:
        """A row the model takes for an earlier row of the file that was imported: an in-file
        duplicate (the earlier row's record is not touched)."""
        for first in item.data.get("same_rows", ()):
            number = first if isinstance(first, int) else first.row.number
            if isinstance(first, int) or first.row.outcome == "created":
                item.row.outcome = "duplicate"
                item.row.errors.append(self.duplicate_message(number, ctx))
                return

    def keys(self, item: Item) -> list:
        values = item.values
        keys = []
        if values.get("number"):
            keys.append(("number", values["number"]))
        if values.get("phone"):
            keys.append(
                ("name+phone", normalise_name(values["name"]), normalise_phone(values["phone"]))
            )
        elif values.get("kind") != Customer.Kind.INDIVIDUAL:
            keys.append(("name", normalise_name(values["name"])))
        elif values.get("birthday"):  # people share names: the name alone refuses no one
            keys.append(("name+birthday", normalise_name(values["name"]), values["birthday"]))
        return keys

    def check(self, item: Item, batch: Batch, ctx: ImportContext) -> None:
        values = item.values
        if values.get("number") in batch.data["taken"]:  # someone else's: say no more than this
            item.row.fail(self._number_in_use(values["number"], ctx))
            return
        item.data["parent_id"] = _resolve_parent(item.row, values, ctx, batch.data["parents"])

    def apply(self, item: Item, existing: Customer, how: str, batch: Batch, ctx) -> None:
        for name, value in item.values.items():
            if value not in ("", None) and (name != "number" or how == KEY):
                setattr(existing, name, value)
        parent_id = item.data["parent_id"]
        if parent_id is not None:
            new_parents = batch.data["new_parents"]
            if _makes_cycle(existing.pk, parent_id, new_parents):
                item.row.fail(
                    _("A customer cannot be a parent company of itself or of its own parent.")
                )
                return
            existing.parent_id = new_parents[existing.pk] = parent_id
        owner = item.data["owner"]
        if str(item.row.values.get("owner") or "").strip() and owner is not None:
            existing.owner_id, existing.department_id = owner

    def build(self, item: Item, ctx: ImportContext) -> Customer:
        customer = Customer(**item.values)
        customer.parent_id = item.data["parent_id"]
        customer.owner_id, customer.department_id = item.data["owner"]
        if not customer.mnemonic:
            customer.mnemonic = mnemonic_for(customer.name)
        return customer

    def placed(self, item: Item, obj: Customer, ctx: ImportContext) -> None:
        _remember(item.row, item.values, obj, ctx)

    def created(self, items: list[Item], ctx: ImportContext) -> None:
        from .matching import refresh_keys

        # match keys at once: a second import of the same file finds these rows
        refresh_keys(kind="customer", ids=[i.obj.pk for i in items if i.obj.pk])
        created_rows = ctx.state.setdefault("created_rows", {})
        for item in items:
            if item.obj.pk:
                created_rows[item.obj.pk] = item.row.number
        ctx.state["queued"] = ctx.state.get("queued", 0) + _queue_uncertain(items, ctx)
        placed = ctx.state.setdefault("row_customers", {})
        for item in items:
            if item.row.number in placed:
                placed[item.row.number] = item.obj.pk  # ids only, once written

    def updated(self, objs: list[Customer], ctx: ImportContext) -> None:
        _sync_owners(objs, ctx.batch)

    def _number_in_use(self, number: str, ctx: ImportContext) -> str:
        return _("%(field)s: customer number %(number)s is already in use.") % {
            "field": ctx.state["labels"]["number"],
            "number": number,
        }

    def duplicate_message(self, first: int, ctx: ImportContext) -> str:
        return _("Same customer as row %(row)s of the file.") % {"row": first}

    def key_taken_message(self, item: Item, existing: Customer, ctx: ImportContext) -> str:
        return self._number_in_use(existing.number, ctx)

    def not_editable_message(self, existing: Customer, ctx: ImportContext) -> str:
        return _("Matches customer %(number)s, which you may not edit.") % {
            "number": existing.number
        }

    def skip_preview(self, item: Item, existing: Customer) -> dict[str, Any]:
        return {"number": existing.number, "name": existing.name}

    def preview(self, item: Item) -> dict[str, Any]:
        return _preview(item.obj, item.children.get("contact_"))


CUSTOMER_IMPORTER = CustomerImporter.register().importer


# --- Contacts -------------------------------------------------------------------------------

CONTACT_IMPORT_FIELDS = [
    "customer",
    "name",
    "gender",
    "birthday",
    "work_department",
    "title",
    "is_primary",
    "office_phone",
    "mobile",
    "email",
    "home_phone",
    "fax_im",
    "hobbies",
    "notes",
    "address",
]
CONTACT_ALIASES = {
    "customer": (
        "客户",
        "客户名称",
        "公司",
        "公司名称",
        "单位",
        "客户编号",
        "company",
        "organization",
        "org",
    ),
    "name": ("姓名", "联系人", "联系人姓名", "name", "full name", "fn"),
    "gender": ("性别", "sex", "gender"),
    "birthday": ("生日", "出生日期", "birthday", "bday", "date of birth"),
    "work_department": ("部门", "所在部门", "department"),
    "title": ("职务", "职位", "头衔", "title", "job title", "position"),
    "is_primary": ("主联系人", "首要联系人", "primary"),
    "office_phone": ("办公电话", "工作电话", "电话", "work phone", "office phone", "phone"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell", "cellphone"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail"),
    "home_phone": ("家庭电话", "住宅电话", "home phone"),
    "fax_im": ("传真", "微信", "qq", "fax", "im", "wechat"),
    "hobbies": ("爱好", "兴趣", "hobbies"),
    "notes": ("备注", "说明", "notes", "note"),
    "address": ("地址", "address", "adr"),
}

CUSTOMER_REF_FIELD = ImportField(
    "customer",
    Contact._meta.get_field("customer").verbose_name,
    required=True,
    aliases=CONTACT_ALIASES["customer"],
    help=gettext_lazy("Customer number or name; an unknown name creates the customer."),
)
ADDRESS_FIELD = ImportField(
    "address", gettext_lazy("Address (for a new customer)"), aliases=CONTACT_ALIASES["address"]
)


def _contact_key(customer_key: Any, values: dict) -> tuple:
    mobile = normalise_phone(values.get("mobile", ""))
    email = str(values.get("email", "")).lower()
    return ("contact", customer_key, normalise_name(values["name"]), mobile or email)


def model_values(contact: Contact) -> dict:
    return {"name": contact.name, "mobile": contact.mobile, "email": contact.email}


def create_contacts(contacts: list[Contact], ctx: ImportContext) -> None:
    """The contacts' save path in an import: each follows its customer's owner (a customer
    created by the batch has just got its id), then one audited bulk insert."""
    for contact in contacts:
        contact.customer_id = contact.customer.pk
        contact.owner_id = contact.customer.owner_id
        contact.department_id = contact.customer.department_id
    bulk_create_audited(Contact, contacts, batch=ctx.batch, fast=True)


class ContactImporter(ModelImporter):
    """Contacts of a customer named by number or name; an unknown name creates the customer
    with the contact (both or neither)."""

    model = Contact
    examples = {"customer": "厦门辰远贸易有限公司", "name": "林晓", "mobile": "13800138000"}
    columns = [
        CUSTOMER_REF_FIELD,
        *(n for n in CONTACT_IMPORT_FIELDS if n not in ("customer", "address")),
        ADDRESS_FIELD,
    ]
    aliases = CONTACT_ALIASES
    choice_words = CHOICE_WORDS
    perm = "customers.add_contact"
    formats = ("csv", "xlsx", "vcf")

    def prepare(self, ctx: ImportContext) -> None:
        super().prepare(ctx)
        ctx.state["new_customers"] = {}  # customer name -> Customer created by this run
        ctx.state["address_cleaner"] = field_cleaner(Customer, "address", CHOICE_WORDS)

    def process(self, rows: list[Row], ctx: ImportContext) -> None:
        super().process(rows, ctx)
        if ctx.dry_run:  # a dry run creates nothing: forget the customers it would have made
            self._forget_customers(ctx)

    def clean_extra(self, item: Item, ctx: ImportContext) -> None:
        st, labels, row = ctx.state, ctx.state["labels"], item.row
        ref = str(row.values.get("customer") or "").strip()
        if not ref:
            required_error(row, labels["customer"])
        address = ""
        try:
            address = st["address_cleaner"](row.values.get("address"))
        except ValidationError as exc:
            row.fail(f"{labels['address']}: {' '.join(exc.messages)}")
        item.data.update(ref=ref, address=address)

    def prefetch(self, items: list[Item], batch: Batch, ctx: ImportContext) -> None:
        """The customers the rows name (visible, editable) and their contacts of these names."""
        user = ctx.user
        ctx.state["batch_customers"] = []  # (name, Customer) this batch would create
        refs = {i.data["ref"] for i in items}
        visible = {}
        for c in (
            Customer.objects.visible_to(user)
            .filter(models.Q(number__in=refs) | models.Q(name__in=refs))
            .only("id", "number", "name", "owner_id", "department_id")
            .order_by("pk")
        ):
            visible.setdefault(c.number, c)
            visible.setdefault(c.name, c)
        batch.data["visible"] = visible
        batch.data["editable_customers"] = set(
            Customer.objects.editable_by(user)
            .filter(pk__in={c.pk for c in visible.values()})
            .values_list("pk", flat=True)
        )
        existing: dict[tuple, Contact] = {}
        contact_names = {i.values["name"] for i in items if i.values.get("name")}
        if visible and contact_names and ctx.mode != "create":
            for ct in Contact.objects.filter(
                customer_id__in={c.pk for c in visible.values()}, name__in=contact_names
            ):
                existing.setdefault(_contact_key(ct.customer_id, model_values(ct)), ct)
        batch.data["existing"] = existing
        batch.candidates = list(existing.values())
        batch.data["may_create"] = bool(ctx.options.get("create_customers", True)) and (
            user.has_perm("customers.add_customer")
        )

    def resolve(self, item: Item, batch: Batch, ctx: ImportContext) -> None:
        """The customer the row names: a visible one (editable to add contacts), one this run
        creates, or a new one (if the user may create customers)."""
        st, user, row, ref = ctx.state, ctx.user, item.row, item.data["ref"]
        customer = batch.data["visible"].get(ref) or st["new_customers"].get(ref)
        if customer is None:
            if not batch.data["may_create"]:
                row.fail(
                    _("%(field)s: there is no customer “%(value)s” that you may choose.")
                    % {"field": st["labels"]["customer"], "value": ref[:60]}
                )
                return
            if user.department_id is None:
                row.fail(_("Your account belongs to no department; customers cannot be created."))
                return
            customer = Customer(
                name=ref[:200],
                mnemonic=mnemonic_for(ref),
                address=item.data["address"],
                owner_id=user.pk,
                department_id=user.department_id,
            )
            try:
                Customer._meta.get_field("name").run_validators(customer.name)
            except ValidationError as exc:
                row.fail(f"{st['labels']['customer']}: {' '.join(exc.messages)}")
                return
            st["new_customers"][ref] = customer
            st["batch_customers"].append((ref, customer))
        elif customer.pk is not None and customer.pk not in batch.data["editable_customers"]:
            row.fail(_("You may not add contacts to customer %(name)s.") % {"name": customer.name})
            return
        item.data["customer"] = customer
        if customer.pk:
            match = batch.data["existing"].get(_contact_key(customer.pk, item.values))
            if match is not None:
                item.match = (match, LIKENESS)

    def keys(self, item: Item) -> list:
        customer = item.data["customer"]
        return [_contact_key(customer.pk or ("new", item.data["ref"]), item.values)]

    def build(self, item: Item, ctx: ImportContext) -> Contact:
        return Contact(customer=item.data["customer"], **item.values)

    def write(self, plan: Plan, batch: Batch, ctx: ImportContext) -> None:
        """First the customers that some good row of this batch needs (both or neither)."""
        try:
            needed = {id(i.obj.customer) for i in plan.new}
            creating = []
            for ref, c in ctx.state["batch_customers"]:
                if id(c) in needed:
                    creating.append(c)
                else:
                    ctx.state["new_customers"].pop(ref, None)
            if creating:
                _number_new(creating, set())
                bulk_create_audited(Customer, creating, batch=ctx.batch, fast=True)
            super().write(plan, batch, ctx)
        except Exception:
            # The batch is rolled back: the customers it created are gone too.
            self._forget_customers(ctx)
            raise

    def _forget_customers(self, ctx: ImportContext) -> None:
        for ref, _c in ctx.state.get("batch_customers", ()):
            ctx.state["new_customers"].pop(ref, None)

    def duplicate_message(self, first: int, ctx: ImportContext) -> str:
        return _("Same contact as row %(row)s of the file.") % {"row": first}

    def not_editable_message(self, existing: Contact, ctx: ImportContext) -> str:
        return _("Matches contact %(name)s, which you may not edit.") % {"name": existing.name}

    def skip_preview(self, item: Item, existing: Contact) -> dict[str, Any]:
        return {"customer": item.data["customer"].name, "name": existing.name}

    def preview(self, item: Item) -> dict[str, Any]:
        return _preview(item.obj) | {"customer": item.data["customer"].name}


CONTACT_IMPORTER = ContactImporter.register().importer


def _register_vcard() -> None:
    from kehu.core.export import ExportFormat, register_export_format

    from .vcard import read_vcf, vcard_stream

    CONTACT_IMPORTER.read_vcf = read_vcf
    register_export_format(
        "customers.contact",
        ExportFormat(
            code="vcf",
            label="vCard",
            stream=vcard_stream,
            content_type="text/vcard; charset=utf-8",
            icon="bi-person-vcard",
        ),
    )


_register_vcard()
