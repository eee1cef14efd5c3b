"""Work-arounds for database behaviour of the Django version Kehu pins, applied once at start-up.

**Forward prefetches on SQLite build one ``OR`` term per row.** Since Django 5.2 (ticket #36116)
``prefetch_related`` over a foreign key filters the related model with ``TupleIn`` even for a
single column. SQLite has no ``(a, b) IN ((…), (…))``, so Django's fallback spells the lookup as
``id = %s OR id = %s OR …``: SQLite parses that into a tree one level deep per term and refuses
past 1,000 (``Expression tree is too large``). Any prefetch over more than about a thousand rows
failed -- the demo's second batch of contacts, and every module's bulk paths after it. With one
column there is nothing tuple-like to do: the lookup is compiled as the plain ``IN`` it was before
5.2 (the form Django's own maintainers proposed when they made the change). Several columns keep
Django's fallback.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models.fields.tuple_lookups import TupleIn
from django.db.models.lookups import In

_django_fallback = TupleIn.get_fallback_sql


def _single_column_in(self: TupleIn, compiler, connection):
    columns = list(self.lhs)
    if len(columns) != 1 or not self.rhs_is_direct_value():
        return _django_fallback(self, compiler, connection)
    values = [vals[0] for vals in self.rhs if vals[0] is not None]
    if not values:
        raise EmptyResultSet
    return compiler.compile(In(columns[0], values))


def install() -> None:
    """Idempotent; called from ``CoreConfig.ready``."""
    TupleIn.get_fallback_sql = _single_column_in
