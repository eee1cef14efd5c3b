"""Importing customers (with an optional contact per row) and contacts (CSV, XLSX, vCard).

Each row is validated the way the customer/contact form saves it (field validators, dictionary
codes or labels, phone and e-mail rules, mnemonic and number generation as in
:mod:`.customer`), without a query per row: dictionaries, owners and the existing records a batch
refers to are loaded once per batch. Existing records are found by customer number, else by the
pluggable :func:`find_existing` hook (identity resolution plugs its fuzzy matcher in there).
"""

from __future__ import annotations

import contextvars
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.actions import bulk_create_audited, bulk_save_audited
from kehu.core.imports import (
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
from kehu.core.permissions import Access, SpecialPermission
from kehu.core.phones import national as phone_national
from kehu.core.text import without_spaces

from ..models import CUSTOMER_FIELDS, Contact, Customer
from .customer import mnemonic_for, take_customer_numbers

#: customer field -> dictionary code (the form offers the same lists)
DICTIONARY_FIELDS = {
    "industry": "industry",
    "level": "customer_level",
    "customer_type": "customer_type",
    "status": "customer_status",
    "credit_rating": "credit_rating",
}
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


_bulk_matcher: Callable[..., list[Customer | None]] | None = None


def set_customer_bulk_matcher(fn: Callable[..., list[Customer | None]] | None) -> None:
    """Plug in ``fn(values_list, *, user) -> [Customer | None, ...]``: asked once per batch for
    the rows neither the number nor :func:`find_existing`'s rule placed (identity resolution)."""
    global _bulk_matcher
    _bulk_matcher = fn


def _match_index(values_list: list[dict], user) -> dict:
    names = {str(v.get("name", "")).strip() for v in values_list if v.get("phone")}
    names |= {unicodedata.normalize("NFKC", n) for n in names}
    names.discard("")
    index = {}
    if names:
        for c in Customer.objects.visible_to(user).filter(name__in=names).order_by("pk"):
            index.setdefault((normalise_name(c.name), normalise_phone(c.phone)), c)
    return index


# --- Row cleaning ---------------------------------------------------------------------------


def _cleaner(model: type[models.Model], name: str) -> Callable[[Any], Any]:
    f = model._meta.get_field(name)
    if model is Customer and name in DICTIONARY_FIELDS:
        lookup = dictionary_lookup(DICTIONARY_FIELDS[name])

        def clean_dictionary(value):
            text = str(value or "").strip()
            if not text:
                return ""
            code = lookup.get(text.lower())
            if code is None:
                raise ValidationError(
                    _("“%(value)s” is not one of the choices.") % {"value": text[:40]}
                )
            return code

        return clean_dictionary
    if f.choices:
        lookup = choice_lookup(f.choices, CHOICE_WORDS)

        def clean_choice(value):
            text = str(value or "").strip()
            if not text:
                return f.get_default()
            code = lookup.get(text.lower())
            if code is None:
                raise ValidationError(
                    _("“%(value)s” is not one of the choices.") % {"value": text[:40]}
                )
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


def _clean(row: Row, cleaners: dict, labels: dict, names: list[str], prefix: str = "") -> dict:
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
#: resolved by number or name) and the birthday (individuals are entered by hand).
CUSTOMER_IMPORT_FIELDS = [f for f in CUSTOMER_FIELDS if f not in ("parent", "birthday")]
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
    "level": ("客户等级", "等级", "级别", "level", "grade"),
    "industry": ("行业", "所属行业", "industry"),
    "credit_rating": ("信用等级", "信用评级", "credit rating"),
    "credit_limit": ("信用额度", "credit limit"),
    "phone": ("电话", "公司电话", "联系电话", "主电话", "tel", "telephone", "phone"),
    "fax": ("传真", "fax"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail", "mail"),
    "website": ("网址", "网站", "主页", "website", "web", "url"),
    "city": ("城市", "所在城市", "city"),
    "address": ("地址", "办公地址", "公司地址", "address"),
    "postcode": ("邮编", "邮政编码", "postcode", "zip", "postal code"),
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
OWNER_FIELD = ImportField(
    "owner",
    gettext_lazy("Owner"),
    aliases=("负责人", "所有人", "业务员", "销售", "销售员", "owner", "sales rep"),
    help=gettext_lazy("User name or name of an employee; empty: you."),
)


def _customer_fields() -> list[ImportField]:
    fields = []
    for name in CUSTOMER_IMPORT_FIELDS:
        f = Customer._meta.get_field(name)
        fields.append(
            ImportField(
                name,
                f.verbose_name,
                required=name == "name",
                aliases=CUSTOMER_ALIASES.get(name, ()),
            )
        )
    fields.append(
        ImportField(
            "parent",
            Customer._meta.get_field("parent").verbose_name,
            aliases=("上级公司", "母公司", "上级客户", "parent", "parent company"),
            help=gettext_lazy(
                "Customer number or exact name of the parent company: an existing customer or "
                "a row of the same file (also a later one)."
            ),
        )
    )
    fields.append(OWNER_FIELD)
    for name in ROW_CONTACT_FIELDS:
        label, aliases = ROW_CONTACT_META[name]
        fields.append(ImportField(f"contact_{name}", label, aliases=aliases))
    return fields


def _prepare(ctx: ImportContext) -> None:
    st = ctx.state
    st["customer_cleaners"] = {n: _cleaner(Customer, n) for n in CUSTOMER_IMPORT_FIELDS}
    st["contact_cleaners"] = {
        n: _cleaner(Contact, n) for n in CONTACT_IMPORT_FIELDS if n not in ("customer", "address")
    }
    st["owners"] = _owners(ctx.user)
    st["may_reassign"] = ctx.user.has_perm(SpecialPermission.REASSIGN_OWNER)


def _prepare_customers(ctx: ImportContext) -> None:
    _prepare(ctx)
    ctx.state["labels"] = {f.name: capfirst(str(f.label)) for f in CUSTOMER_IMPORTER.fields}


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


def _row_contact(row: Row, ctx: ImportContext) -> dict | None:
    st = ctx.state
    if not any(str(row.values.get(f"contact_{n}") or "").strip() for n in ROW_CONTACT_FIELDS):
        return None
    contact = _clean(row, st["contact_cleaners"], st["labels"], ROW_CONTACT_FIELDS, "contact_")
    if not contact.get("name"):
        row.fail(f"{st['labels']['contact_name']}: " + _("This field is required."))
    return contact


# --- Parent companies -----------------------------------------------------------------------


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


def _existing_parents(good: list, user) -> dict[str, list[Customer]]:
    """{number or exact name: visible customers} for the parent column of a batch."""
    refs = {str(r.values.get("parent") or "").strip() for r, *_x in good} - {""}
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


def process_customers(rows: list[Row], ctx: ImportContext) -> None:
    """Validate a batch of customer rows; unless a dry run, write them (one transaction)."""
    st, user, mode = ctx.state, ctx.user, ctx.mode
    labels = st["labels"]
    cleaned: list[tuple[Row, dict, dict | None, tuple | None]] = []
    for row in rows:
        values = _clean(row, st["customer_cleaners"], labels, CUSTOMER_IMPORT_FIELDS)
        if not values.get("name"):
            row.fail(f"{labels['name']}: " + _("This field is required."))
        contact = _row_contact(row, ctx)
        owner = _resolve_owner(row, ctx, labels["owner"])
        if owner is not None and owner[1] is None:
            row.fail(
                _("%(field)s: the owner belongs to no department.") % {"field": labels["owner"]}
            )
        cleaned.append((row, values, contact, owner))

    # What the batch refers to, loaded once: existing numbers, parents, name+phone candidates.
    good = [(r, v, c, o) for r, v, c, o in cleaned if r.outcome != "error"]
    numbers = {v["number"] for _r, v, _c, _o in good if v.get("number")}
    by_number, taken = _numbers_in_use(numbers, user)
    parents = _existing_parents(good, user)
    matcher = customer_matcher()
    token = _batch_index.set(_match_index([v for _r, v, _c, _o in good], user))
    try:
        matches = {}
        unplaced = []
        for row, values, _c, _o in good:
            if values.get("number") in by_number:
                matches[row.number] = (by_number[values["number"]], "number")
            elif values.get("number") not in taken:
                found = matcher(values, user=user)
                if found is not None:
                    matches[row.number] = (found, "match")
                else:
                    unplaced.append((row, values))
    finally:
        _batch_index.reset(token)
    if unplaced and _bulk_matcher is not None:
        found_list = _bulk_matcher([v for _r, v in unplaced], user=user)
        for (row, _v), found in zip(unplaced, found_list, strict=True):
            if found is not None:
                matches[row.number] = (found, "match")
    editable: set[int] = set()
    if mode == "update" and matches:
        editable = set(
            Customer.objects.editable_by(user)
            .filter(pk__in=[m.pk for m, _how in matches.values()])
            .values_list("pk", flat=True)
        )
    existing_contacts: dict[tuple[int, str], Contact] = {}
    if mode == "update":
        ids = [m.pk for m, _how in matches.values() if m.pk in editable]
        names = {c["name"] for _r, _v, c, _o in good if c and c.get("name")}
        if ids and names:
            for ct in Contact.objects.filter(customer_id__in=ids, name__in=names):
                existing_contacts.setdefault((ct.customer_id, ct.name), ct)

    reserved = numbers | set(by_number) | taken
    new_parents: dict[int, int] = {}  # parent companies this batch sets on existing customers
    new: list[tuple[Row, Customer, dict | None]] = []
    updates: list[tuple[Row, Customer, dict | None]] = []
    for row, values, contact, owner in good:
        keys = []
        if values.get("number"):
            keys.append(("number", values["number"]))
        if values.get("phone"):
            keys.append(
                ("name+phone", normalise_name(values["name"]), normalise_phone(values["phone"]))
            )
        else:
            keys.append(("name", normalise_name(values["name"])))
        # (a deferred row meets its own keys again when it comes back)
        first = next((ctx.seen[k] for k in keys if ctx.seen.get(k, row.number) != row.number), None)
        if first is not None:
            row.outcome = "duplicate"
            row.errors.append(_("Same customer as row %(row)s of the file.") % {"row": first})
            continue
        for k in keys:
            ctx.first_seen(k, row.number)
        if values.get("number") in taken:  # someone else's customer: say no more than this
            row.fail(
                _("%(field)s: customer number %(number)s is already in use.")
                % {"field": labels["number"], "number": values["number"]}
            )
            continue
        parent_id = _resolve_parent(row, values, ctx, parents)
        if row.outcome in ("error", "deferred"):
            continue
        match = matches.get(row.number)
        if match is not None and not (mode == "create" and match[1] == "match"):
            existing, how = match
            if mode == "skip":
                row.outcome = "skipped"
                row.preview = {"number": existing.number, "name": existing.name}
                _remember(row, values, existing, ctx)
                continue
            if mode == "create":  # the number is taken: a new record cannot have it
                row.fail(
                    _("%(field)s: customer number %(number)s is already in use.")
                    % {"field": labels["number"], "number": existing.number}
                )
                continue
            if existing.pk not in editable:
                row.fail(
                    _("Matches customer %(number)s, which you may not edit.")
                    % {"number": existing.number}
                )
                continue
            for name, value in values.items():
                if value not in ("", None) and (name != "number" or how == "number"):
                    setattr(existing, name, value)
            if parent_id is not None:
                if _makes_cycle(existing.pk, parent_id, new_parents):
                    row.fail(
                        _("A customer cannot be a parent company of itself or of its own parent.")
                    )
                    continue
                existing.parent_id = new_parents[existing.pk] = parent_id
            if str(row.values.get("owner") or "").strip() and owner is not None:
                existing.owner_id, existing.department_id = owner
            row.outcome = "updated"
            _remember(row, values, existing, ctx)
            updates.append((row, existing, contact))
            if ctx.dry_run:
                row.preview = _preview(existing, contact)
            continue
        customer = Customer(**values)
        customer.parent_id = parent_id
        customer.owner_id, customer.department_id = owner
        if not customer.mnemonic:
            customer.mnemonic = mnemonic_for(customer.name)
        row.outcome = "created"
        _remember(row, values, customer, ctx)
        new.append((row, customer, contact))
        if ctx.dry_run:
            row.preview = _preview(customer, contact)

    if ctx.dry_run:
        return
    _number_new([c for _r, c, _ct in new], reserved)
    bulk_create_audited(Customer, [c for _r, c, _ct in new], batch=ctx.batch, fast=True)
    placed = st.setdefault("row_customers", {})
    for row, customer, _contact in new:
        if row.number in placed:
            placed[row.number] = customer.pk  # ids only, once written
    contacts = []
    for _row, customer, contact in new:
        if contact:
            contacts.append(
                Contact(
                    customer=customer,
                    owner_id=customer.owner_id,
                    department_id=customer.department_id,
                    is_primary=True,
                    **contact,
                )
            )
    changed_contacts = []
    update_fields = [*CUSTOMER_IMPORT_FIELDS, "parent", "owner", "department"]
    for _row, customer, contact in updates:
        if contact:
            current = existing_contacts.get((customer.pk, contact["name"]))
            if current is None:
                contacts.append(
                    Contact(
                        customer=customer,
                        owner_id=customer.owner_id,
                        department_id=customer.department_id,
                        **contact,
                    )
                )
            else:
                for name, value in contact.items():
                    if value not in ("", None):
                        setattr(current, name, value)
                changed_contacts.append(current)
    if updates:
        bulk_save_audited([c for _r, c, _ct in updates], update_fields, batch=ctx.batch)
        _sync_owners([c for _r, c, _ct in updates], ctx.batch)
    if contacts:
        bulk_create_audited(Contact, contacts, batch=ctx.batch, fast=True)
    if changed_contacts:
        bulk_save_audited(changed_contacts, ROW_CONTACT_FIELDS, batch=ctx.batch)


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


CUSTOMER_IMPORTER = register_importer(
    Importer(
        label="customers.customer",
        verbose_name=Customer._meta.verbose_name_plural,
        fields=_customer_fields(),
        process=process_customers,
        prepare=_prepare_customers,
        perm="customers.add_customer",
    )
)


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


def _contact_fields() -> list[ImportField]:
    fields = []
    for name in CONTACT_IMPORT_FIELDS:
        if name == "customer":
            fields.append(
                ImportField(
                    name,
                    Contact._meta.get_field("customer").verbose_name,
                    required=True,
                    aliases=CONTACT_ALIASES[name],
                    help=gettext_lazy(
                        "Customer number or name; an unknown name creates the customer."
                    ),
                )
            )
        elif name == "address":
            fields.append(
                ImportField(
                    name,
                    gettext_lazy("Address (for a new customer)"),
                    aliases=CONTACT_ALIASES[name],
                )
            )
        else:
            f = Contact._meta.get_field(name)
            fields.append(
                ImportField(
                    name, f.verbose_name, required=name == "name", aliases=CONTACT_ALIASES[name]
                )
            )
    return fields


def _prepare_contacts(ctx: ImportContext) -> None:
    _prepare(ctx)
    ctx.state["labels"] = {f.name: capfirst(str(f.label)) for f in CONTACT_IMPORTER.fields}
    ctx.state["new_customers"] = {}  # customer name -> Customer created by this run
    ctx.state["address_cleaner"] = _cleaner(Customer, "address")


def _contact_key(customer_key: Any, values: dict) -> tuple:
    mobile = normalise_phone(values.get("mobile", ""))
    email = str(values.get("email", "")).lower()
    return ("contact", customer_key, normalise_name(values["name"]), mobile or email)


def process_contacts(rows: list[Row], ctx: ImportContext) -> None:
    """Validate a batch of contact rows (a customer by number or name; an unknown name creates
    the customer with the contact, both or neither); unless a dry run, write them."""
    st, user, mode = ctx.state, ctx.user, ctx.mode
    labels = st["labels"]
    names = [n for n in CONTACT_IMPORT_FIELDS if n not in ("customer", "address")]
    cleaned = []
    for row in rows:
        values = _clean(row, st["contact_cleaners"], labels, names)
        if not values.get("name"):
            row.fail(f"{labels['name']}: " + _("This field is required."))
        ref = str(row.values.get("customer") or "").strip()
        if not ref:
            row.fail(f"{labels['customer']}: " + _("This field is required."))
        address = ""
        try:
            address = st["address_cleaner"](row.values.get("address"))
        except ValidationError as exc:
            row.fail(f"{labels['address']}: {' '.join(exc.messages)}")
        cleaned.append((row, values, ref, address))
    good = [c for c in cleaned if c[0].outcome != "error"]
    refs = {ref for _r, _v, ref, _a in good}
    visible = {}
    for c in (
        Customer.objects.visible_to(user)
        .filter(models.Q(number__in=refs) | models.Q(name__in=refs))
        .only("id", "number", "name", "owner_id", "department_id")
        .order_by("pk")
    ):
        visible.setdefault(c.number, c)
        visible.setdefault(c.name, c)
    editable = set(
        Customer.objects.editable_by(user)
        .filter(pk__in={c.pk for c in visible.values()})
        .values_list("pk", flat=True)
    )
    existing: dict[tuple, Contact] = {}
    contact_names = {v["name"] for _r, v, _ref, _a in good if v.get("name")}
    if visible and contact_names and mode != "create":
        for ct in Contact.objects.filter(
            customer_id__in={c.pk for c in visible.values()}, name__in=contact_names
        ):
            existing.setdefault(_contact_key(ct.customer_id, model_values(ct)), ct)
    editable_contacts = set()
    if mode == "update" and existing:
        editable_contacts = set(
            Contact.objects.editable_by(user)
            .filter(pk__in=[c.pk for c in existing.values()])
            .values_list("pk", flat=True)
        )
    may_create = bool(ctx.options.get("create_customers", True)) and user.has_perm(
        "customers.add_customer"
    )
    new, updates, new_customers = [], [], []
    for row, values, ref, address in good:
        customer = visible.get(ref) or st["new_customers"].get(ref)
        if customer is None:
            if not may_create:
                row.fail(
                    _("%(field)s: there is no customer “%(value)s” that you may choose.")
                    % {"field": labels["customer"], "value": ref[:60]}
                )
                continue
            if user.department_id is None:
                row.fail(_("Your account belongs to no department; customers cannot be created."))
                continue
            customer = Customer(
                name=ref[:200],
                mnemonic=mnemonic_for(ref),
                address=address,
                owner_id=user.pk,
                department_id=user.department_id,
            )
            try:
                Customer._meta.get_field("name").run_validators(customer.name)
            except ValidationError as exc:
                row.fail(f"{labels['customer']}: {' '.join(exc.messages)}")
                continue
            st["new_customers"][ref] = customer
            new_customers.append((ref, customer))
        elif customer.pk is not None and customer.pk not in editable:
            row.fail(_("You may not add contacts to customer %(name)s.") % {"name": customer.name})
            continue
        key = _contact_key(customer.pk or ("new", ref), values)
        first = ctx.first_seen(key, row.number)
        if first is not None:
            row.outcome = "duplicate"
            row.errors.append(_("Same contact as row %(row)s of the file.") % {"row": first})
            continue
        match = existing.get(_contact_key(customer.pk, values)) if customer.pk else None
        if match is not None and mode != "create":
            if mode == "skip":
                row.outcome = "skipped"
                row.preview = {"customer": customer.name, "name": match.name}
                continue
            if match.pk not in editable_contacts:
                row.fail(
                    _("Matches contact %(name)s, which you may not edit.") % {"name": match.name}
                )
                continue
            for name, value in values.items():
                if value not in ("", None):
                    setattr(match, name, value)
            row.outcome = "updated"
            updates.append(match)
            if ctx.dry_run:
                row.preview = _preview(match) | {"customer": customer.name}
            continue
        contact = Contact(customer=customer, **values)
        row.outcome = "created"
        new.append((row, contact))
        if ctx.dry_run:
            row.preview = _preview(contact) | {"customer": customer.name}
    if ctx.dry_run:
        # A dry run creates nothing: forget the customers it would have created.
        for ref, _c in new_customers:
            st["new_customers"].pop(ref, None)
        return
    try:
        _write_contacts(new, updates, new_customers, names, ctx)
    except Exception:
        # The batch is rolled back: the customers it created are gone too.
        for ref, _c in new_customers:
            st["new_customers"].pop(ref, None)
        raise


def _write_contacts(new, updates, new_customers, names, ctx: ImportContext) -> None:
    # Only customers that some good row of this batch needs (both or neither).
    needed = {id(ct.customer) for _r, ct in new}
    creating = [c for _ref, c in new_customers if id(c) in needed]
    for ref, c in new_customers:
        if id(c) not in needed:
            ctx.state["new_customers"].pop(ref, None)
    if creating:
        _number_new(creating, set())
        bulk_create_audited(Customer, creating, batch=ctx.batch, fast=True)
    for _row, contact in new:
        contact.customer_id = contact.customer.pk  # set by the bulk insert above
        contact.owner_id = contact.customer.owner_id
        contact.department_id = contact.customer.department_id
    bulk_create_audited(Contact, [ct for _r, ct in new], batch=ctx.batch, fast=True)
    if updates:
        bulk_save_audited(updates, names, batch=ctx.batch)


def model_values(contact: Contact) -> dict:
    return {"name": contact.name, "mobile": contact.mobile, "email": contact.email}


CONTACT_IMPORTER = register_importer(
    Importer(
        label="customers.contact",
        verbose_name=Contact._meta.verbose_name_plural,
        fields=_contact_fields(),
        process=process_contacts,
        prepare=_prepare_contacts,
        perm="customers.add_contact",
        formats=("csv", "xlsx", "vcf"),
    )
)


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
