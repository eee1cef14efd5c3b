"""Indexed search: one normalised search column per record, an index on both databases.

Every searchable model (``Searchable``) carries two denormalised columns computed in Python
(pinyin needs Python) whenever the record is saved, bulk-created, bulk-updated or updated:

* ``search_text`` -- ``|name|full pinyin|pinyin initials|mnemonic|number|phones|e-mails|``, each
  part "compacted" (NFKC, case-folded, only letters and digits), phones as national significant
  numbers (``kehu.core.phones``: +86/0086, the trunk 0 and extensions removed). Substring queries of 3+ characters use a trigram index on it:
  ``pg_trgm`` GIN on PostgreSQL, an FTS5 ``trigram`` external-content table on SQLite (kept in
  sync by triggers on the model table).
* ``search_grams`` -- the distinct 1- and 2-character pieces of the name, initials and mnemonic,
  space-separated. Queries of 1 or 2 characters (华为, BJ, 王) are an exact token lookup in a GIN
  index on ``string_to_array(search_grams, ' ')`` (PostgreSQL) or an FTS5 ``unicode61`` table
  (SQLite): a trigram index cannot answer them.

The lookups ``search_text__match`` and ``search_grams__hasgram`` produce the per-database SQL;
:func:`search_condition` turns what the user typed into those lookups and :func:`ranked_search`
orders the hits (exact number/phone, then name prefix, then other prefixes, then substring).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from django.db import models
from django.db.models import Case, IntegerField, Lookup, Q, Value, When
from django.db.models.functions import Length, StrIndex

from .audit_guard import unaudited_write
from .features import compose_manager, compose_queryset, feature
from .models import (
    AllRecordsManager,
    FeatureBase,
    RestrictedQuerySet,
    SoftDeleteManager,
    SoftDeleteQuerySet,
)
from .phones import digits as phone_digits
from .phones import national as phone_national
from .text import compact, pinyin_forms, pinyin_sort_key

SEARCH_FIELDS = ("search_text", "search_grams")
PHONE_QUERY = re.compile(r"^[0-9 +\-().]+$")
MAX_TERMS = 8
MAX_TERM_LENGTH = 100


# --- Normalisation: kehu.core.text (folding, pinyin) and kehu.core.phones ---------------------


def grams(*values: str) -> list[str]:
    """Distinct 1- and 2-character pieces of the compacted values, in first-seen order."""
    seen: dict[str, None] = {}
    for value in values:
        if value:
            pairs = [value[i : i + 2] for i in range(len(value) - 1)]
            # c0, c0c1, c1, c1c2, ..., cn: update() keeps the first position of a repeated piece
            seen.update(
                dict.fromkeys([p for pair in zip(value, pairs, strict=False) for p in pair])
            )
            seen.setdefault(value[-1], None)
    return list(seen)


def build_document(
    *,
    name: str,
    codes: Iterable[str] = (),
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    pinyin: tuple[str, str] | None = None,
    other_names: Iterable[str] = (),
    related_name: str = "",
    related_codes: Iterable[str] = (),
    related_pinyin: tuple[str, str] | None = None,
) -> tuple[str, str]:
    """``(search_text, search_grams)`` of one record; the name always comes first.

    ``pinyin`` (full, initials) may be passed by a caller that already knows it (generators).
    ``other_names`` are more names of the same record (the aliases a merge left), found like the
    name but never ranked as it. ``related_name``/``related_codes`` are another record's
    identifiers the record is also found by (a contact's customer): they go after a ``#`` so the
    ranking can put a match there below a match of the record's own identifiers.
    """
    name_c = compact(name)
    full, initials = pinyin or pinyin_forms(name or "")
    codes_c = [compact(c) for c in codes]
    parts = [name_c, full, initials, *codes_c]
    parts += [phone_national(p) for p in phones]
    parts += [compact(e) for e in emails]
    gram_sources = [name_c, initials, *codes_c[:1]]
    for other in other_names:
        other_c = compact(other)
        if other_c:
            o_full, o_initials = pinyin_forms(other)
            parts += [other_c, o_full, o_initials]
            gram_sources += [other_c, o_initials]
    text = _joined(parts)
    related_c = compact(related_name)
    if related_c or any(related_codes):
        r_full, r_initials = related_pinyin or pinyin_forms(related_name or "")
        r_codes = [compact(c) for c in related_codes]
        text += "#" + _joined([related_c, r_full, r_initials, *r_codes])
        gram_sources += [related_c, r_initials, *r_codes[:1]]
    return text, " ".join(grams(*gram_sources))


def _joined(parts: Iterable[str]) -> str:
    unique: dict[str, None] = {}
    for part in parts:
        if part:
            unique.setdefault(part, None)
    return "|" + "|".join(unique) + "|"


# --- Lookups: the SQL per database ----------------------------------------------------------------


def fts_table(model, kind: str) -> str:
    """Name of the SQLite FTS5 table of a model: ``<table>_fts`` (trigram) or ``<table>_grams``."""
    return f"{model._meta.db_table}_{kind}"


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _IndexedLookup(Lookup):
    fts_kind = ""

    def _pk_in_fts(self, compiler, connection):
        model = self.lhs.target.model
        qn = compiler.quote_name_unless_alias
        pk = f"{qn(self.lhs.alias)}.{connection.ops.quote_name(model._meta.pk.column)}"
        table = connection.ops.quote_name(fts_table(model, self.fts_kind))
        return f"{pk} IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)", [
            _fts_phrase(self.rhs)
        ]


class TrigramMatch(_IndexedLookup):
    """Substring (3+ characters) of the compacted search text, answered by the trigram index."""

    lookup_name = "match"
    fts_kind = "fts"

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} LIKE %s", [*params, f"%{_like_escape(self.rhs)}%"]

    def as_sqlite(self, compiler, connection):
        return self._pk_in_fts(compiler, connection)


class GramMatch(_IndexedLookup):
    """A 1- or 2-character piece of the name/initials/mnemonic, answered by the gram index."""

    lookup_name = "hasgram"
    fts_kind = "grams"

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"(' ' || {lhs} || ' ') LIKE %s", [*params, f"% {_like_escape(self.rhs)} %"]

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"string_to_array({lhs}, ' ') @> ARRAY[%s]::text[]", [*params, self.rhs]

    def as_sqlite(self, compiler, connection):
        return self._pk_in_fts(compiler, connection)


class TrigramScan(Lookup):
    """The same substring test as ``match``, evaluated row by row (no index can answer it): for
    walking the newest rows when almost every row matches (see :func:`search`)."""

    lookup_name = "scanmatch"

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"({lhs} || '') LIKE %s", [*params, f"%{_like_escape(self.rhs)}%"]


class GramScan(Lookup):
    """The same 1-2 character piece test as ``hasgram``, evaluated row by row."""

    lookup_name = "scangram"

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"(' ' || {lhs} || ' ') LIKE %s", [*params, f"% {_like_escape(self.rhs)} %"]


class InCandidates(models.Expression):
    """``pk IN (subquery)``, on PostgreSQL ``pk = ANY(ARRAY(subquery))``: the subquery runs once,
    on its own plan (the search index), and the outer query fetches the rows by primary key. A
    plain ``IN`` lets the planner walk the primary key backwards, testing every row, when it
    believes the matches to be many and they are few or none."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, subquery: models.QuerySet):
        super().__init__()
        self.subquery = models.Subquery(subquery)
        self.pk = models.F("pk")

    def get_source_expressions(self):
        return [self.pk, self.subquery]

    def set_source_expressions(self, exprs):
        self.pk, self.subquery = exprs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.pk)
        rhs, rhs_params = compiler.compile(self.subquery)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)


class SearchTextField(models.TextField):
    pass


class SearchGramsField(models.TextField):
    pass


SearchTextField.register_lookup(TrigramMatch)
SearchTextField.register_lookup(TrigramScan)
SearchGramsField.register_lookup(GramMatch)
SearchGramsField.register_lookup(GramScan)


# --- The searchable model -------------------------------------------------------------------------


def derived_fields(model) -> tuple[str, ...]:
    """The columns computed from a searchable record's fields: the search columns and its
    stored sort keys (``sort_key_sources``)."""
    return (*SEARCH_FIELDS, *getattr(model, "sort_key_sources", {}))


def _fill(objs: list[models.Model]) -> None:
    if objs:  # what the documents read: one query per relation, not one per row
        model = type(objs[0])
        related = getattr(model, "search_prefetch", ())
        forward = [r for r in related if model._meta.get_field(r).many_to_one]
        if forward:  # new rows too (a contact's customer_id is set)
            models.prefetch_related_objects(objs, *forward)
        reverse = [r for r in related if r not in forward]
        saved = [o for o in objs if o.pk is not None and not o._state.adding]
        if reverse and saved:
            models.prefetch_related_objects(saved, *reverse)
    for obj in objs:
        obj.refresh_search_fields()


class SearchableQuerySet(RestrictedQuerySet):
    """Keeps the search columns right on the bulk paths that bypass ``save()``."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _fill(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if set(fields) & set(self.model.search_sources):
            _fill(objs)
            fields = [*fields, *(f for f in derived_fields(self.model) if f not in fields)]
        n = super().bulk_update(objs, fields, *args, **kwargs)
        refresh_dependents(self.model, [o.pk for o in objs], fields=fields)
        return n

    def update(self, **kwargs):
        if not set(kwargs) & set(self.model.search_sources):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        n = super().update(**kwargs)
        refresh_search_index(self.model, pks=pks, fields=set(kwargs))
        return n


def refresh_dependents(model, pks: Sequence[Any] | None, *, fields: Iterable[str] | None) -> int:
    """Refresh the documents of other models that include this one's fields (a contact's
    document holds its customer's name): after a rename, the contacts are found by the new one.
    ``pks=None``: every row; ``fields=None``: whatever changed."""
    from django.apps import apps

    total = 0
    for label, fk, sources in getattr(model, "search_dependents", ()):
        if fields is not None and not set(fields) & set(sources):
            continue
        dependent = apps.get_model(label)
        if pks is None:
            total += refresh_search_index(dependent)
            continue
        pks = list(pks)
        for start in range(0, len(pks), 2000):
            chunk = dependent._base_manager.filter(**{f"{fk}__in": pks[start : start + 2000]})
            total += refresh_search_index(dependent, pks=list(chunk.values_list("pk", flat=True)))
    return total


def refresh_search_index(
    model,
    *,
    pks: Sequence[Any] | None = None,
    batch_size: int = 2000,
    fields: Iterable[str] | None = None,
) -> int:
    """Recompute the search columns of some (or all) rows -- after raw SQL, restores, upgrades.

    The database triggers (SQLite) and indexes (PostgreSQL) follow the columns by themselves.
    The plain base manager writes them: derived data, so no audit record and no version bump
    (``core.audit.unaudited_write``).
    The documents that include these rows (``search_dependents``: a customer's contacts) follow
    unless ``fields`` (what changed) says none of their sources did.
    """
    related = getattr(model, "search_prefetch", ())
    qs = model._base_manager.only(
        *model.search_sources, *getattr(model, "search_related_sources", ())
    ).order_by("pk")
    selected = [r for r in related if model._meta.get_field(r).many_to_one]
    if selected:
        qs = qs.select_related(*selected)
    prefetched = [r for r in related if r not in selected]
    if prefetched:
        qs = qs.prefetch_related(*prefetched)

    def rewrite(rows: list) -> int:
        for row in rows:
            row.refresh_search_fields()
        with unaudited_write("search columns are derived from audited fields"):
            model._base_manager.bulk_update(
                rows, list(derived_fields(model)), batch_size=batch_size
            )
        return len(rows)

    total = 0
    if pks is not None:
        pks = list(pks)
        for start in range(0, len(pks), batch_size):
            total += rewrite(list(qs.filter(pk__in=pks[start : start + batch_size])))
        refresh_dependents(model, pks, fields=fields)
        return total
    last = None
    while True:
        rows = list((qs if last is None else qs.filter(pk__gt=last))[:batch_size])
        if not rows:
            break
        last = rows[-1].pk
        total += rewrite(rows)
    refresh_dependents(model, None, fields=fields)
    return total


#: What a model both ``Searchable`` and ``SoftDeleteModel`` gets by itself (``core.features``);
#: kept under their old names for code that imports them.
SearchableSoftDeleteQuerySet = compose_queryset(SearchableQuerySet, SoftDeleteQuerySet)
SearchableSoftDeleteManager = compose_manager(SoftDeleteManager, SearchableSoftDeleteQuerySet)
SearchableAllRecordsManager = compose_manager(AllRecordsManager, SearchableSoftDeleteQuerySet)


@feature
class Searchable(FeatureBase):
    """Feature: a model found by the global search, listed with the base model in any order.

    Subclasses set ``search_sources`` (the fields the document is built from) and implement
    ``search_document()`` returning ``build_document(...)``.
    """

    search_text = SearchTextField(editable=False, blank=True, default="", db_default="")
    search_grams = SearchGramsField(editable=False, blank=True, default="", db_default="")

    search_sources: ClassVar[tuple[str, ...]] = ()
    #: Fields of related rows the document reads (``customer__name``), loaded with the row.
    search_related_sources: ClassVar[tuple[str, ...]] = ()
    #: Relations the document reads, fetched once for many rows on the bulk paths.
    search_prefetch: ClassVar[tuple[str, ...]] = ()
    #: ``(model label, foreign key to this model, fields of this model its document reads)``:
    #: documents refreshed when those fields change (a customer's name -> its contacts).
    search_dependents: ClassVar[tuple[tuple[str, str, tuple[str, ...]], ...]] = ()
    #: Stored sort keys computed with the document: ``{"name_sort": "name"}`` keeps column
    #: ``name_sort`` at the pinyin sort key of ``name`` (lists sort Chinese names by pinyin).
    sort_key_sources: ClassVar[dict[str, str]] = {}
    #: Derived columns the audit trail leaves out (``core.audit.excluded``).
    audit_derived: ClassVar[tuple[str, ...]] = SEARCH_FIELDS

    #: its managers' bulk paths keep the search columns (composed by ``core.features``)
    queryset_class: ClassVar[type[models.QuerySet]] = SearchableQuerySet

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        adding = self._state.adding
        if update_fields is None or set(update_fields) & set(self.search_sources):
            self.refresh_search_fields()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *derived_fields(type(self))}
        super().save(*args, **kwargs)
        if self.search_dependents and not adding:
            loaded = getattr(self, "_search_loaded", {})
            changed = [
                f
                for _label, _fk, sources in self.search_dependents
                for f in sources
                if f not in loaded or loaded[f] != getattr(self, f)
            ]
            if changed:
                refresh_dependents(type(self), [self.pk], fields=changed)
            self._search_loaded = {**loaded, **{f: getattr(self, f) for f in changed}}

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        watched = {f for _label, _fk, sources in cls.search_dependents for f in sources}
        instance._search_loaded = {
            f: instance.__dict__[f] for f in watched if f in instance.__dict__
        }
        return instance

    def search_document(self) -> tuple[str, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def search_summary(self) -> str:
        """A short second line for search results (number, phone …)."""
        return ""

    def refresh_search_fields(self) -> None:
        self.search_text, self.search_grams = self.search_document()
        for column, source in self.sort_key_sources.items():
            setattr(self, column, pinyin_sort_key(getattr(self, source) or ""))

    def audit_snapshot(self) -> dict[str, Any]:
        """Derived columns stay out of the audit trail."""
        snapshot = super().audit_snapshot()
        for name in derived_fields(type(self)):
            snapshot.pop(name, None)
        return snapshot


def is_searchable(model) -> bool:
    return isinstance(model, type) and issubclass(model, Searchable)


# --- From what the user typed to a condition --------------------------------------------------


def parse_query(query: str) -> list[list[str]]:
    """Terms (all must match), each a list of alternatives (any may match).

    A phone-like query ("+86 138-0013-8000", "010 1234 5678") is one term: its national
    significant number (:func:`kehu.core.phones.national`; a part of a number typed with the
    trunk 0 of its area code loses it, as the stored numbers have); anything else is split on spaces and each word compacted.
    """
    query = unicodedata.normalize("NFKC", query or "").strip()
    if not query:
        return []
    if PHONE_QUERY.match(query) and len(phone_digits(query)) >= 5:
        national = phone_national(query)
        if national.startswith("0") and len(national) > 5:  # part of a number, with its trunk 0
            national = national[1:]
        return [[national[:MAX_TERM_LENGTH]]]
    terms = []
    for word in query.split()[:MAX_TERMS]:
        c = compact(word)[:MAX_TERM_LENGTH]
        if c and [c] not in terms:
            terms.append([c])
    return terms


def term_condition(term: str, prefix: str = "", *, scan: bool = False) -> Q:
    if len(term) >= 3:
        return Q(**{f"{prefix}search_text__{'scanmatch' if scan else 'match'}": term})
    return Q(**{f"{prefix}search_grams__{'scangram' if scan else 'hasgram'}": term})


def search_condition(query: str, prefix: str = "", *, scan: bool = False) -> Q | None:
    """The indexed condition for a query; ``None`` when there is nothing to look for.

    ``scan=True``: the same test evaluated row by row, for walking an ordered index."""
    terms = parse_query(query)
    if not terms:
        return None
    cond = Q()
    for alternatives in terms:
        alt = Q()
        for term in alternatives:
            alt |= term_condition(term, prefix, scan=scan)
        cond &= alt
    return cond


# --- Very common pieces: walk the newest rows instead of the index ------------------------------
#
# A piece almost every name holds (有限, 公司) matches most of the table: reading its index entries
# (900,000 at 1M customers) and sorting them takes seconds, while walking the newest rows fills a
# page of 50 after ~60 rows. A rare piece is the other way round. A probe decides: the newest
# ``KEHU_SEARCH_PROBE_ROWS`` rows are tested row by row, and when ``KEHU_SEARCH_COMMON_HITS`` of
# them match (1 %), the piece is common. On PostgreSQL, extended statistics on the row-by-row
# expressions (see ``install_search_index``) let the planner see that the piece is common.


def _setting(name: str, default: int) -> int:
    from django.conf import settings

    return int(getattr(settings, name, default))


def _newest_matches(qs: models.QuerySet, query: str, limit: int) -> list:
    """Ids of the newest matches (up to ``limit``) among the newest ``KEHU_SEARCH_PROBE_ROWS``
    rows, tested row by row: a primary-key range, whatever the planner thinks of the piece."""
    cond = search_condition(query, scan=True)
    if cond is None:
        return []
    top = qs.model._base_manager.order_by("-pk").values_list("pk", flat=True).first()
    if top is None:
        return []
    newest = qs.filter(cond, pk__gt=top - _setting("KEHU_SEARCH_PROBE_ROWS", 20_000))
    return list(newest.order_by("-pk").values_list("pk", flat=True)[:limit])


def is_common(qs: models.QuerySet, query: str) -> bool:
    """Whether a query matches so many rows that walking the newest rows beats the index."""
    need = _setting("KEHU_SEARCH_COMMON_HITS", 200)
    return len(_newest_matches(qs, query, need)) >= need


def search(qs: models.QuerySet, query: str) -> models.QuerySet:
    """Filter a (restricted) queryset by a search box value; nothing typed: unchanged.

    A common query is tested row by row (the list's ordered scan fills a page quickly); any
    other is answered by the index, on PostgreSQL fenced (:class:`InCandidates`) so the planner
    cannot walk the whole table instead. SQLite's condition is already ``id IN (SELECT rowid
    FROM <fts> …)`` and its planner walks the list's index testing that set; fencing it there
    would fetch every match by primary key first (1.2 s for a 25,000-match piece).
    """
    from django.db import connections

    cond = search_condition(query)
    if cond is None:
        return qs
    if is_common(qs, query):
        return qs.filter(search_condition(query, scan=True))
    if connections[qs.db].vendor != "postgresql":
        return qs.filter(cond)
    return qs.filter(InCandidates(qs.filter(cond).order_by().values("pk")))


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist
        return False
    return True


def _exact_lookups(model, stripped: str) -> list[Q]:
    """Exact name / number look-ups (B-tree indexes): found even among a common query's hits.
    One query each: SQLite reads the whole table for the two joined with OR."""
    found = []
    if _has_field(model, "name"):
        found.append(Q(name=stripped))
    if _has_field(model, "number"):
        found.append(Q(number__in={stripped, stripped.upper()}))
    return found


def ranked_search(qs: models.QuerySet, query: str, *, limit: int = 10) -> list:
    """The best ``limit`` hits of a (restricted) queryset, best first.

    Ranks: exact number/phone, then name prefix, then another prefix of the record's own
    identifiers, then a substring of them, then a match in a related record's part (a contact's
    company). For a common query only the newest ``KEHU_SEARCH_CANDIDATES`` matches, plus exact
    name/number look-ups, are ranked: sorting 900,000 hits takes seconds.
    """
    cond = search_condition(query)
    if cond is None:
        return []
    model = qs.model
    stripped = unicodedata.normalize("NFKC", query).strip()
    need = _setting("KEHU_SEARCH_COMMON_HITS", 200)
    cap = _setting("KEHU_SEARCH_CANDIDATES", 300)
    ids = _newest_matches(qs, query, max(need, cap))
    if len(ids) >= need:  # common: the newest matches (the probe's) plus exact look-ups
        ids = ids[:cap]
        scan = search_condition(query, scan=True)
        for exact in _exact_lookups(model, stripped):
            ids += list(qs.filter(exact).filter(scan).values_list("pk", flat=True)[:limit])
        qs = qs.filter(pk__in=set(ids))
    else:
        qs = qs.filter(cond)
    whens = []
    if _has_field(model, "number"):
        whens.append(When(number__iexact=stripped, then=Value(0)))
    terms = parse_query(query)
    if len(terms) == 1 and PHONE_QUERY.match(stripped) and len(terms[0][0]) >= 5:
        core = terms[0][0]
        whens.append(
            When(
                Q(search_text__contains=f"|{core}|") | Q(search_text__contains=f"|0{core}|"),
                then=Value(0),
            )
        )
    whole = compact(query)
    annotations = {}
    if whole:
        # the record's own part ends at "#" (what follows is a related record's: a contact's
        # customer); no "#": all of it is the record's own
        own_end = Case(
            When(_search_hash=0, then=Length("search_text") + 1),
            default=models.F("_search_hash"),
        )
        annotations = {
            "_search_hash": StrIndex("search_text", Value("#")),
            "_search_prefix": StrIndex("search_text", Value(f"|{whole}")),
            "_search_sub": StrIndex("search_text", Value(whole)),
        }
        whens.append(When(search_text__startswith=f"|{whole}", then=Value(1)))
        whens.append(When(_search_prefix__gt=0, _search_prefix__lt=own_end, then=Value(2)))
        whens.append(When(_search_sub__gt=0, _search_sub__lt=own_end, then=Value(3)))
    rank = Case(*whens, default=Value(4), output_field=IntegerField())
    order = ["search_rank"]
    if _has_field(model, "name"):
        order.append(Length("name").asc())
    order.append("-pk")
    ranked = qs.annotate(**annotations).annotate(search_rank=rank).order_by(*order)
    return list(ranked[:limit])


# --- Schema: indexes per database (called by migrations and after every migrate) ------------


def _sqlite_statements(table: str, pk: str = "id") -> list[str]:
    fts, grm = f"{table}_fts", f"{table}_grams"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, "
        f"content='{table}', content_rowid='{pk}', tokenize='trigram')",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {grm} USING fts5(search_grams, "
        f"content='{table}', content_rowid='{pk}', tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER IF NOT EXISTS {table}_search_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.{pk}, new.search_text); "
        f"INSERT INTO {grm}(rowid, search_grams) VALUES (new.{pk}, new.search_grams); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_search_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.{pk}, old.search_text); "
        f"INSERT INTO {grm}({grm}, rowid, search_grams) "
        f"VALUES ('delete', old.{pk}, old.search_grams); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_search_au AFTER UPDATE OF search_text, search_grams "
        f"ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.{pk}, old.search_text); "
        f"INSERT INTO {grm}({grm}, rowid, search_grams) "
        f"VALUES ('delete', old.{pk}, old.search_grams); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.{pk}, new.search_text); "
        f"INSERT INTO {grm}(rowid, search_grams) VALUES (new.{pk}, new.search_grams); END",
    ]


def install_search_index(connection, table: str) -> None:
    """Create the search index of a table on this connection's database (idempotent).

    SQLite: two FTS5 external-content tables and the triggers that keep them in sync, then a
    rebuild when a trigger was missing (Django re-creates a SQLite table for some ALTERs and
    drops its triggers with it; ``ensure_search_indexes`` runs after every migrate for that).
    PostgreSQL: the pg_trgm extension, a trigram GIN index and a GIN index on the grams array.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE %s",
                [f"{table}_search_%"],
            )
            complete = cursor.fetchone()[0] == 3
            for sql in _sqlite_statements(table):
                cursor.execute(sql)
            if not complete:
                for kind in ("fts", "grams"):
                    cursor.execute(f"INSERT INTO {table}_{kind}({table}_{kind}) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_search_trgm "
                f"ON {table} USING gin (search_text gin_trgm_ops)"
            )
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_search_grams "
                f"ON {table} USING gin (string_to_array(search_grams, ' '))"
            )
            # statistics of the row-by-row tests (the common-piece path): without them the
            # planner guesses 0.01 % matching rows for any piece and, for a LIMIT larger than
            # that guess, scans and sorts the whole table instead of walking the newest rows
            cursor.execute(
                f"CREATE STATISTICS IF NOT EXISTS {table}_search_scan "
                f"ON (' ' || search_grams || ' '), (search_text || '') FROM {table}"
            )


def drop_search_index(connection, table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
            cursor.execute(f"DROP TABLE IF EXISTS {table}_fts")
            cursor.execute(f"DROP TABLE IF EXISTS {table}_grams")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")
            cursor.execute(f"DROP INDEX IF EXISTS {table}_search_grams")
            cursor.execute(f"DROP STATISTICS IF EXISTS {table}_search_scan")


def ensure_search_indexes(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: every searchable table has its index (repairs SQLite triggers)."""
    from django.apps import apps
    from django.db import connections

    if sender is not None and getattr(sender, "name", "") != "kehu.core":
        return  # post_migrate is sent once per app: do the work once
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    for model in apps.get_models():
        if is_searchable(model) and model._meta.db_table in existing:
            with connection.cursor() as cursor:
                description = connection.introspection.get_table_description(
                    cursor, model._meta.db_table
                )
            columns = {c.name for c in description}
            if "search_text" in columns:
                install_search_index(connection, model._meta.db_table)
