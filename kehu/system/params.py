"""System parameters, holidays and dictionaries: ONE cached accessor for each, read everywhere.

Every process (web workers, the Celery worker) keeps a small memo of the value it last loaded,
stamped with a version number that lives in Django's cache (Redis in production, shared by all
processes). A read costs one cache GET of that version; only when another process has bumped it
(after a change) is the value reloaded — from the cache under a versioned key, else from the
database. So a change takes effect everywhere without a restart, and a warm read makes no query.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kehu.core.fields import quantize

from .models import DictionaryItem, Holiday, SystemParameters

CACHE_PREFIX = "kehu:v1"
DOCUMENTS = ("quote", "contract", "order", "product")


class VersionedCache:
    """A value shared by every process through the cache, memoised per process by version."""

    def __init__(self, name: str, loader: Callable[[], Any]):
        self.name = name
        self.loader = loader
        self.version_key = f"{CACHE_PREFIX}:{name}:version"
        self._memo: tuple[int, Any] | None = None
        self._lock = threading.Lock()

    def value_key(self, version: int) -> str:
        return f"{CACHE_PREFIX}:{self.name}:{version}"

    def current_version(self) -> int:
        version = cache.get(self.version_key)
        if version is None:
            # A fresh number (not 1) so a process still holding a memo from before the cache was
            # emptied can never mistake the new value for its old one.
            cache.add(self.version_key, time.time_ns(), timeout=None)
            version = cache.get(self.version_key)
        return int(version)

    def get(self) -> Any:
        version = self.current_version()
        memo = self._memo
        if memo is not None and memo[0] == version:
            return memo[1]
        with self._lock:
            value = cache.get(self.value_key(version))
            if value is None:
                value = self.loader()
                cache.set(self.value_key(version), value, timeout=24 * 3600)
            self._memo = (version, value)
        return value

    def bump(self) -> None:
        """Invalidate in every process: a new version makes every memo and cached copy stale."""
        self._memo = None
        try:
            cache.incr(self.version_key)
        except ValueError:  # the key was missing (first use, or the cache was emptied)
            cache.set(self.version_key, time.time_ns(), timeout=None)

    def invalidate(self) -> None:
        """Bump now (this transaction sees its own change) and again after commit.

        The second bump discards anything another process cached from the database between the
        first bump and the commit, when it could still read the old row.
        """
        self.bump()
        transaction.on_commit(self.bump)


# --- System parameters --------------------------------------------------------------------------


def load_parameters() -> SystemParameters:
    """The parameter row, created with the defaults on first use."""
    params = SystemParameters.objects.filter(pk=1).first()
    if params is not None:
        return params
    try:
        with transaction.atomic():
            params = SystemParameters(pk=1)
            params.save(force_insert=True)
    except IntegrityError:  # another process created it at the same moment
        params = SystemParameters.objects.get(pk=1)
    return params


PARAMETERS = VersionedCache("params", load_parameters)


def get_params() -> SystemParameters:
    """The system parameters, for reading (do not modify the instance: it is shared)."""
    return PARAMETERS.get()


def amount_places(document: str) -> int:
    """Decimal places kept for amounts (prices, totals) on a quote, contract, order or product."""
    if document not in DOCUMENTS:
        raise ValueError(f"unknown document {document!r}: one of {DOCUMENTS}")
    return getattr(get_params(), f"{document}_amount_decimals")


def quantity_places(document: str) -> int:
    """Decimal places kept for quantities on a quote, contract, order or product."""
    if document not in DOCUMENTS:
        raise ValueError(f"unknown document {document!r}: one of {DOCUMENTS}")
    return getattr(get_params(), f"{document}_quantity_decimals")


def round_amount(value: Decimal | int | str, document: str) -> Decimal:
    """An amount rounded half up to the places the parameters keep for ``document``."""
    return quantize(value, amount_places(document))


def round_quantity(value: Decimal | int | str, document: str) -> Decimal:
    """A quantity rounded half up to the places the parameters keep for ``document``."""
    return quantize(value, quantity_places(document))


# --- Holidays -----------------------------------------------------------------------------------


def load_holidays() -> dict:
    """Every holiday and make-up day: {date: kind}. A few hundred rows at most."""
    return dict(Holiday.objects.values_list("date", "kind"))


HOLIDAYS = VersionedCache("holidays", load_holidays)


def get_holidays() -> dict:
    """{date: Holiday.Kind} of all holidays and make-up working days (调休), cached."""
    return HOLIDAYS.get()


# --- Dictionaries (数据字典) --------------------------------------------------------------------


@dataclass
class Dictionary:
    """A choice list declared by a module, with its default entries."""

    code: str
    label: Any
    #: (code, Chinese label, English label, colour)
    defaults: list[tuple[str, str, str, str]] = field(default_factory=list)


dictionaries: dict[str, Dictionary] = {}


def register_dictionary(
    code: str, label: Any, defaults: list[tuple[str, str, str, str]] | None = None
) -> Dictionary:
    """Declare a choice list; ``ensure_dictionaries()`` creates its missing default entries."""
    dictionary = Dictionary(code=code, label=label, defaults=list(defaults or []))
    dictionaries[code] = dictionary
    return dictionary


def dictionary_label(code: str) -> str:
    dictionary = dictionaries.get(code)
    return str(dictionary.label) if dictionary else code


def load_dictionary_items() -> list[tuple]:
    return list(
        DictionaryItem.objects.order_by("dictionary", "order", "code").values_list(
            "dictionary", "code", "label_zh", "label_en", "is_active", "color"
        )
    )


DICTIONARIES = VersionedCache("dictionaries", load_dictionary_items)


def dictionary_items() -> list[tuple]:
    """Every dictionary entry, cached (the framework's ``providers.dictionary_items``)."""
    return DICTIONARIES.get()


def dictionary_choices(code: str, *, include_inactive: bool = False) -> list[tuple[str, str]]:
    """[(code, label in the current language)] of a dictionary, sorted by ``order``."""
    english = (get_language() or "zh-hans").startswith("en")
    return [
        (item, (en or zh) if english else zh)
        for dictionary, item, zh, en, active, _color in DICTIONARIES.get()
        if dictionary == code and (active or include_inactive)
    ]


def dictionary_colors(code: str) -> dict[str, str]:
    """{entry code: colour} of a dictionary, for badges."""
    return {
        item: color
        for dictionary, item, _zh, _en, _active, color in DICTIONARIES.get()
        if dictionary == code and color
    }


@transaction.atomic
def ensure_dictionaries() -> int:
    """Create the missing default entries of every registered dictionary; idempotent.

    Existing entries (possibly renamed or deactivated by an administrator) are left alone.
    Returns the number of entries created.
    """
    existing = set(DictionaryItem.objects.values_list("dictionary", "code"))
    created = 0
    for dictionary in dictionaries.values():
        for order, (code, zh, en, color) in enumerate(dictionary.defaults, start=1):
            if (dictionary.code, code) in existing:
                continue
            DictionaryItem(
                dictionary=dictionary.code,
                code=code,
                label_zh=zh,
                label_en=en,
                color=color,
                order=order * 10,
            ).save()
            created += 1
    return created


register_dictionary(
    "customer_level",
    _("Customer level"),
    [
        ("A", "A 重要客户", "A Key account", "#d62728"),
        ("B", "B 普通客户", "B Regular", "#ff7f0e"),
        ("C", "C 一般客户", "C Occasional", "#1f77b4"),
        ("D", "D 潜在客户", "D Prospect", "#7f7f7f"),
    ],
)
register_dictionary(
    "customer_type",
    _("Customer type"),
    [
        ("company", "企业", "Company", "#1f77b4"),
        ("government", "政府机关", "Government", "#9467bd"),
        ("institution", "事业单位", "Public institution", "#17becf"),
        ("individual", "个人", "Individual", "#2ca02c"),
        ("reseller", "代理商", "Reseller", "#ff7f0e"),
    ],
)
register_dictionary(
    "customer_status",
    _("Customer status"),
    [
        ("prospect", "潜在", "Prospect", "#7f7f7f"),
        ("active", "正式", "Active", "#2ca02c"),
        ("vip", "重点", "VIP", "#d62728"),
        ("dormant", "休眠", "Dormant", "#bcbd22"),
        ("lost", "流失", "Lost", "#8c564b"),
    ],
)
register_dictionary(
    "industry",
    _("Industry"),
    [
        ("manufacturing", "制造业", "Manufacturing", ""),
        ("it", "信息技术", "Information technology", ""),
        ("finance", "金融", "Finance", ""),
        ("retail", "零售", "Retail", ""),
        ("education", "教育", "Education", ""),
        ("healthcare", "医疗卫生", "Healthcare", ""),
        ("construction", "建筑", "Construction", ""),
        ("energy", "能源", "Energy", ""),
        ("logistics", "物流", "Logistics", ""),
        ("government", "政府", "Government", ""),
        ("other", "其他", "Other", ""),
    ],
)
register_dictionary(
    "customer_source",
    _("Customer source"),
    [
        ("referral", "客户介绍", "Referral", ""),
        ("website", "网站", "Website", ""),
        ("exhibition", "展会", "Exhibition", ""),
        ("cold_call", "电话开发", "Cold call", ""),
        ("advertising", "广告", "Advertising", ""),
        ("partner", "合作伙伴", "Partner", ""),
        ("other", "其他", "Other", ""),
    ],
)
register_dictionary(
    "lost_reason",
    _("Reason lost"),
    [
        ("price", "价格太高", "Price too high", ""),
        ("competitor", "选择了竞争对手", "Chose a competitor", ""),
        ("no_budget", "没有预算", "No budget", ""),
        ("no_need", "需求取消", "Need went away", ""),
        ("product_fit", "产品不满足需求", "Product does not fit", ""),
        ("no_contact", "联系不上", "Could not be reached", ""),
        ("other", "其他", "Other", ""),
    ],
)


# --- Invalidation: any write, from any path (form, API, bulk delete, shell), bumps the version --


def _on_change(cache_: VersionedCache):
    def receiver(sender, **kwargs):
        cache_.invalidate()

    return receiver


_RECEIVERS = [
    (SystemParameters, _on_change(PARAMETERS)),
    (Holiday, _on_change(HOLIDAYS)),
    (DictionaryItem, _on_change(DICTIONARIES)),
]
for _model, _receiver in _RECEIVERS:
    post_save.connect(_receiver, sender=_model, weak=False, dispatch_uid=f"kehu-cache-{_model}")
    post_delete.connect(
        _receiver, sender=_model, weak=False, dispatch_uid=f"kehu-cache-del-{_model}"
    )
