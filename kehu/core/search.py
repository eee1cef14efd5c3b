"""Indexed search: one normalised search column per record, an index on both databases.

Every searchable model (``Searchable``) carries two denormalised columns computed in Python
(pinyin needs Python) whenever the record is saved, bulk-created, bulk-updated or updated:

* ``search_text`` -- ``|name|full pinyin|pinyin initials|mnemonic|number|phones|e-mails|``, each
  part "compacted" (NFKC, case-folded, only letters and digits), phones as national digits
  (``+86``/``0086`` removed). Substring queries of 3+ characters use a trigram index on it:
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
from functools import lru_cache
from typing import Any, ClassVar

from django.db import models
from django.db.models import Case, IntegerField, Lookup, Q, Value, When
from django.db.models.functions import Length

from .models import AllRecordsManager, RestrictedQuerySet, SoftDeleteManager, SoftDeleteQuerySet

SEARCH_FIELDS = ("search_text", "search_grams")
PHONE_QUERY = re.compile(r"^[0-9 +\-().]+$")
MAX_TERMS = 8
MAX_TERM_LENGTH = 100
#: what ``str.isalnum`` rejects (``\w`` is ``isalnum`` plus the underscore)
_NOT_ALNUM = re.compile(r"[\W_]+")
_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")


# --- Normalisation ------------------------------------------------------------------------------


def compact(value: str | None) -> str:
    """NFKC, case-folded, letters and digits only: "Bei Jing-华为 (BJ)" -> "beijing华为bj"."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    return text if text.isalnum() else _NOT_ALNUM.sub("", text)


def _chars(chars: str) -> list[str]:
    return list(chars)


def _whole(chars: str) -> list[str]:
    return [chars]


@lru_cache(maxsize=200_000)
def _word_syllables(word: str, keep_whole: bool) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(word, errors=_whole if keep_whole else _chars))


@lru_cache(maxsize=16384)
def han_words(run: str) -> tuple[str, ...]:
    """pypinyin's segmentation of a run of Chinese characters into dictionary words, cached: a
    name is segmented for its search text, its mnemonic code and its duplicate profile."""
    from pypinyin.seg.mmseg import seg

    return tuple(seg.cut(run))


def pinyin_syllables(text: str, *, keep_whole: bool = False) -> list[str]:
    """``lazy_pinyin(text)`` (no tones; characters without pinyin kept one by one, or as one
    piece with ``keep_whole``), word by word: pypinyin's own segmentation, then each Chinese
    word's syllables from a cache. Company names share most of their words (科技, 有限公司,
    北京), so this is several times faster than pypinyin on whole names and gives the same
    syllables (a test compares them)."""
    from pypinyin.constants import RE_HANS
    from pypinyin.seg.simpleseg import simple_seg

    out: list[str] = []
    words = []
    for chunk in simple_seg(text):  # what pypinyin's ``seg`` does, with the cut cached
        if RE_HANS.match(chunk):
            words.extend(han_words(chunk))
        else:
            words.append(chunk)
    for word in words:
        if RE_HANS.match(word):
            out.extend(_word_syllables(word, keep_whole))
        else:
            out.extend(_whole(word) if keep_whole else _chars(word))
    return out


@lru_cache(maxsize=65536)
def pinyin_forms(name: str) -> tuple[str, str]:
    """Full pinyin and pinyin initials of a name (北京华为 -> beijinghuawei, bjhw).

    One segmentation (the slow part of pypinyin) gives both: the initials are the first letters
    of the syllables, as ``Style.FIRST_LETTER`` would give them.
    """
    syllables = pinyin_syllables(name)
    full = compact("".join(syllables))
    initials = compact("".join(s[:1] if len(s) > 1 else s for s in syllables))
    return full, initials


def phone_digits(value: str | None) -> str:
    text = unicodedata.normalize("NFKC", value or "")
    if text.isascii():
        return _NOT_ASCII_DIGIT.sub("", text)
    return "".join(ch for ch in text if ch.isdigit())


def phone_national(value: str | None) -> str:
    """Digits without the Chinese country code: +86 138-0013-8000 / 0086… / 86… -> 13800138000."""
    digits = phone_digits(value)
    if digits.startswith("0086"):
        return digits[4:]
    if digits.startswith("86") and (len(digits) >= 12 or (value or "").lstrip().startswith("+")):
        return digits[2:]
    return digits


def phone_core(value: str | None) -> str:
    """National digits without the trunk 0 of an area code (010-… and +86 10 … meet here)."""
    national = phone_national(value)
    return national[1:] if national.startswith("0") and len(national) > 5 else national


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
) -> tuple[str, str]:
    """``(search_text, search_grams)`` of one record; the name always comes first.

    ``pinyin`` (full, initials) may be passed by a caller that already knows it (generators).
    """
    name_c = compact(name)
    full, initials = pinyin or pinyin_forms(name or "")
    codes_c = [compact(c) for c in codes]
    parts = [name_c, full, initials, *codes_c]
    parts += [phone_national(p) for p in phones]
    parts += [compact(e) for e in emails]
    unique: dict[str, None] = {}
    for part in parts:
        if part:
            unique.setdefault(part, None)
    text = "|" + "|".join(unique) + "|"
    return text, " ".join(grams(name_c, initials, *codes_c[:1]))


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


class SearchTextField(models.TextField):
    pass


class SearchGramsField(models.TextField):
    pass


SearchTextField.register_lookup(TrigramMatch)
SearchGramsField.register_lookup(GramMatch)


# --- The searchable model -------------------------------------------------------------------------


def _fill(objs: Iterable[models.Model]) -> None:
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
            fields = [*fields, *(f for f in SEARCH_FIELDS if f not in fields)]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        if not set(kwargs) & set(self.model.search_sources):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        n = super().update(**kwargs)
        refresh_search_index(self.model, pks=pks)
        return n


def refresh_search_index(model, *, pks: Sequence[Any] | None = None, batch_size: int = 2000) -> int:
    """Recompute the search columns of some (or all) rows -- after raw SQL, restores, upgrades.

    The database triggers (SQLite) and indexes (PostgreSQL) follow the columns by themselves.
    The plain base manager writes them: derived data, so no audit record and no version bump.
    """
    qs = model._base_manager.only(*model.search_sources).order_by("pk")

    def rewrite(rows: list) -> int:
        for row in rows:
            row.refresh_search_fields()
        model._base_manager.bulk_update(rows, list(SEARCH_FIELDS), batch_size=batch_size)
        return len(rows)

    total = 0
    if pks is not None:
        pks = list(pks)
        for start in range(0, len(pks), batch_size):
            total += rewrite(list(qs.filter(pk__in=pks[start : start + batch_size])))
        return total
    last = None
    while True:
        rows = list((qs if last is None else qs.filter(pk__gt=last))[:batch_size])
        if not rows:
            return total
        last = rows[-1].pk
        total += rewrite(rows)


class SearchableSoftDeleteQuerySet(SearchableQuerySet, SoftDeleteQuerySet):
    """For models both searchable and soft-deletable (customers, contacts)."""


#: Managers of a model that is both ``Searchable`` and ``SoftDeleteModel``: declare them in the
#: model (``objects`` first) so the bulk paths keep the search columns and deleted rows stay hidden.
SearchableSoftDeleteManager = SoftDeleteManager.from_queryset(SearchableSoftDeleteQuerySet)
SearchableAllRecordsManager = AllRecordsManager.from_queryset(SearchableSoftDeleteQuerySet)


class Searchable(models.Model):
    """Mixin for a model found by the global search; list it BEFORE the base model class.

    Subclasses set ``search_sources`` (the fields the document is built from) and implement
    ``search_document()`` returning ``build_document(...)``.
    """

    search_text = SearchTextField(editable=False, blank=True, default="", db_default="")
    search_grams = SearchGramsField(editable=False, blank=True, default="", db_default="")

    search_sources: ClassVar[tuple[str, ...]] = ()

    objects = models.Manager.from_queryset(SearchableQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(self.search_sources):
            self.refresh_search_fields()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *SEARCH_FIELDS}
        super().save(*args, **kwargs)

    def search_document(self) -> tuple[str, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def search_summary(self) -> str:
        """A short second line for search results (number, phone …)."""
        return ""

    def refresh_search_fields(self) -> None:
        self.search_text, self.search_grams = self.search_document()

    def audit_snapshot(self) -> dict[str, Any]:
        """Derived columns stay out of the audit trail."""
        snapshot = super().audit_snapshot()
        for name in SEARCH_FIELDS:
            snapshot.pop(name, None)
        return snapshot


def is_searchable(model) -> bool:
    return isinstance(model, type) and issubclass(model, Searchable)


# --- From what the user typed to a condition --------------------------------------------------


def parse_query(query: str) -> list[list[str]]:
    """Terms (all must match), each a list of alternatives (any may match).

    A phone-like query ("+86 138-0013-8000", "010 1234 5678") is one term: its national digits
    without trunk 0; anything else is split on spaces and each word compacted.
    """
    query = unicodedata.normalize("NFKC", query or "").strip()
    if not query:
        return []
    if PHONE_QUERY.match(query) and len(phone_digits(query)) >= 5:
        return [[phone_core(query)[:MAX_TERM_LENGTH]]]
    terms = []
    for word in query.split()[:MAX_TERMS]:
        c = compact(word)[:MAX_TERM_LENGTH]
        if c and [c] not in terms:
            terms.append([c])
    return terms


def term_condition(term: str, prefix: str = "") -> Q:
    if len(term) >= 3:
        return Q(**{f"{prefix}search_text__match": term})
    return Q(**{f"{prefix}search_grams__hasgram": term})


def search_condition(query: str, prefix: str = "") -> Q | None:
    """The indexed condition for a query; ``None`` when there is nothing to look for."""
    terms = parse_query(query)
    if not terms:
        return None
    cond = Q()
    for alternatives in terms:
        alt = Q()
        for term in alternatives:
            alt |= term_condition(term, prefix)
        cond &= alt
    return cond


def search(qs: models.QuerySet, query: str) -> models.QuerySet:
    """Filter a (restricted) queryset by a search box value; nothing typed: unchanged."""
    cond = search_condition(query)
    return qs if cond is None else qs.filter(cond)


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist
        return False
    return True


def ranked_search(qs: models.QuerySet, query: str, *, limit: int = 10) -> list:
    """The best ``limit`` hits of a (restricted) queryset, best first."""
    cond = search_condition(query)
    if cond is None:
        return []
    model = qs.model
    whens = []
    stripped = unicodedata.normalize("NFKC", query).strip()
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
    if whole:
        whens.append(When(search_text__startswith=f"|{whole}", then=Value(1)))
        whens.append(When(search_text__contains=f"|{whole}", then=Value(2)))
    rank = Case(*whens, default=Value(3), output_field=IntegerField())
    order = ["search_rank"]
    if _has_field(model, "name"):
        order.append(Length("name").asc())
    order.append("-pk")
    return list(qs.filter(cond).annotate(search_rank=rank).order_by(*order)[:limit])


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
