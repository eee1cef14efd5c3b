"""Inserting many new rows fast: ``bulk_create``'s result without its per-value SQL compilation.

Django's ``bulk_create`` compiles every value of every row through the field's whole
``pre_save`` / ``get_db_prep_save`` chain and builds the statement anew for each batch; for an
import of 100,000 customers (30 columns) plus their audit records that is half of the time. Here
the column list, the statement and each column's converter are prepared once per table and batch
size, plain values (``str`` in a text column, ``int`` in an integer or foreign-key column,
``bool``, ``None``) go to the driver as they are, and everything else still goes through the
field's own ``get_db_prep_save`` — so the database receives what ``bulk_create`` would send.

What ``bulk_create`` does that is kept: ``pre_save`` of fields that have one (``auto_now``
timestamps, files), related objects saved earlier fill their ``*_id`` (and unsaved ones are
refused), the primary keys come back (``RETURNING``, on SQLite and PostgreSQL alike) and the
instances are marked as saved. Searchable models get their search columns filled first (the
SQLite FTS triggers and PostgreSQL indexes follow the table by themselves). Models this does not
cover (multi-table inheritance, preset primary keys, database defaults or expressions as values,
a database without ``RETURNING`` for multi-row inserts) fall back to ``bulk_create``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connections, models
from django.db.models.expressions import BaseExpression, DatabaseDefault

#: rows per statement at most (PostgreSQL takes 65,535 parameters, SQLite 32,766 or more)
MAX_ROWS = 500
MAX_PARAMS = 30_000

_MEMO_TYPES = {datetime.date, datetime.datetime, Decimal}
_TEXT_PREP = {models.CharField.get_prep_value, models.TextField.get_prep_value}


def _plain_types(field: models.Field) -> tuple[type, ...]:
    """The Python types the column's converter passes through unchanged (none: empty)."""
    if isinstance(field, models.ForeignKey):
        return _plain_types(field.target_field)
    cls = type(field)
    if cls.get_db_prep_save is not models.Field.get_db_prep_save:
        return ()
    if isinstance(field, models.BooleanField):
        simple = (
            cls.get_prep_value is models.BooleanField.get_prep_value
            and cls.get_db_prep_value is models.Field.get_db_prep_value
        )
        return (bool,) if simple else ()
    if isinstance(field, models.CharField | models.TextField):
        simple = (
            cls.get_prep_value in _TEXT_PREP
            and cls.get_db_prep_value is models.Field.get_db_prep_value
        )
        return (str,) if simple else ()
    if isinstance(field, models.IntegerField):
        simple = cls.get_prep_value is models.IntegerField.get_prep_value and (
            cls.get_db_prep_value
            in (models.IntegerField.get_db_prep_value, models.AutoField.get_db_prep_value)
        )
        return (int,) if simple else ()
    return ()


def _getter(field: models.Field) -> Callable[[models.Model], Any]:
    if type(field).pre_save is not models.Field.pre_save:
        return lambda obj: field.pre_save(obj, True)
    attname = field.attname
    return lambda obj: getattr(obj, attname)


def _supported(model: type[models.Model], connection) -> bool:
    opts = model._meta
    return (
        not opts.parents
        and opts.pk is not None
        and not opts.pk.generated
        and connection.features.can_return_rows_from_bulk_insert
    )


def _statement(connection, table: str, columns: list[str], rows: int, returning: str) -> str:
    qn = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES {', '.join([one] * rows)}"
    )
    return sql + (f" RETURNING {qn(returning)}" if returning else "")


def insert_values(
    model: type[models.Model],
    fields: Sequence[models.Field],
    rows: Sequence[Sequence[Any]],
    *,
    returning: bool = False,
    using: str = "default",
) -> list[Any]:
    """Insert rows of column values already prepared for the database (see :func:`prepare`);
    the new primary keys in order when ``returning``."""
    connection = connections[using]
    per = max(1, min(MAX_ROWS, MAX_PARAMS // max(1, len(fields))))
    columns = [f.column for f in fields]
    pk = model._meta.pk.column if returning else ""
    full = _statement(connection, model._meta.db_table, columns, per, pk)
    ids: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            sql = (
                full
                if len(chunk) == per
                else _statement(connection, model._meta.db_table, columns, len(chunk), pk)
            )
            cursor.execute(sql, [v for row in chunk for v in row])
            if returning:
                ids.extend(r[0] for r in cursor.fetchall())
    return ids


def prepare(field: models.Field, connection) -> Callable[[Any], Any]:
    """The column converter of ``field``: plain values unchanged, others as Django sends them."""
    plain = _plain_types(field)
    json = isinstance(field, models.JSONField)
    memo: dict[tuple[type, Any], Any] = {}  # dates, amounts, timestamps repeat across rows

    def convert(value):
        if (value is None and not json) or type(value) in plain:
            return value
        if type(value) in _MEMO_TYPES:
            key = (type(value), value)
            if key not in memo:
                if len(memo) > 10_000:
                    memo.clear()
                memo[key] = field.get_db_prep_save(value, connection)
            return memo[key]
        return field.get_db_prep_save(value, connection)

    return convert


def insert_objects(
    model: type[models.Model], objs: Sequence[models.Model], *, using: str = "default"
) -> list[models.Model]:
    """``model.objects.bulk_create(objs)`` for new instances, faster (see the module)."""
    from .search import _fill, is_searchable

    objs = list(objs)
    if not objs:
        return objs
    connection = connections[using]
    if not _supported(model, connection) or any(o.pk is not None for o in objs):
        return model._default_manager.bulk_create(objs)
    if is_searchable(model):
        _fill(objs)
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and f is not opts.pk]
    getters = [_getter(f) for f in fields]
    converters = [prepare(f, connection) for f in fields]
    # plain values skip the converter call (most columns of most rows)
    plains = [
        (*_plain_types(f), *(() if isinstance(f, models.JSONField) else (type(None),)))
        for f in fields
    ]
    has_relations = any(f.is_relation for f in fields)
    rows = []
    for obj in objs:
        if has_relations:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        values = [g(obj) for g in getters]
        if any(isinstance(v, DatabaseDefault | BaseExpression) for v in values):
            return model._default_manager.bulk_create(objs)
        rows.append(
            [
                v if type(v) in p else c(v)
                for c, p, v in zip(converters, plains, values, strict=True)
            ]
        )
    ids = insert_values(model, fields, rows, returning=True, using=using)
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = using
    return objs
