"""Test factories: params (see kehu.core.testing.factory)."""

from __future__ import annotations

import datetime

from kehu.core.testing import factory


@factory("system.holiday")
def holiday(owner, n=1, **kw):
    from kehu.system.actions import save_holiday
    from kehu.system.models import Holiday

    values = {
        "date": datetime.date(2030, 1, 1) + datetime.timedelta(days=n),
        "kind": Holiday.Kind.HOLIDAY,
        "name": f"节日{n}",
    }
    values.update(kw)
    return save_holiday(holiday=Holiday(**values))


@factory("system.dictionaryitem")
def dictionary_item(owner, n=1, **kw):
    from kehu.system.actions import save_dictionary_item
    from kehu.system.models import DictionaryItem

    values = {
        "dictionary": "industry",
        "code": f"test-{n}",
        "label_zh": f"行业{n}",
        "label_en": f"Industry {n}",
        "order": n,
        "color": "#1f77b4",
    }
    values.update(kw)
    return save_dictionary_item(item=DictionaryItem(**values))
