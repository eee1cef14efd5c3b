"""Every column a list can be sorted by has an index on (column, id): keyset pagination reads
``WHERE (column, id) > cursor ORDER BY column, id`` as an index range scan, page 1 or 20,000."""

from __future__ import annotations

from kehu.core.registry import registry


def sort_fields(ot) -> set[str]:
    """The columns the database orders by: a field, or the stored key it sorts by
    (``ObjectType.sort_keys``: names by pinyin)."""
    names = {*ot.sortable, ot.default_sort.lstrip("-")}
    return {ot.sort_keys.get(n, n) for n in names if n != "pk" and not n.startswith("custom.")}


def keyset_indexes(model) -> set[tuple[str, str]]:
    """(column, id) pairs some index starts with, in either direction."""
    pk = model._meta.pk.name
    pairs = set()
    for index in model._meta.indexes:
        cols = [f.lstrip("-") for f in index.fields]
        if len(cols) >= 2 and cols[1] in (pk, "pk"):
            pairs.add((cols[0], pk))
    return pairs


def test_every_sortable_column_has_an_index_paired_with_id():
    missing = []
    for label, ot in sorted(registry.items()):
        model = ot.model
        have = keyset_indexes(model)
        for name in sorted(sort_fields(ot)):
            field = model._meta.get_field(name)
            if (field.name, model._meta.pk.name) not in have:
                missing.append(f"{label}.{name}")
    assert missing == []
