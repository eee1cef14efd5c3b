"""Text normalisation written once: folding, compacting and pinyin (full and initials).

Search (the search column, what the user types), duplicate matching, the import's
same-customer rule and the mnemonic code (助记码) all fold text and read pinyin; each used to
have its own copy, with small differences. Pure functions, no Django: the matcher and the
benchmarks import this without a database.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: what ``str.isalnum`` rejects (``\w`` is ``isalnum`` plus the underscore)
_NOT_ALNUM = re.compile(r"[\W_]+")


# --- Folding ------------------------------------------------------------------------------------


def fold(value: str | None) -> str:
    """Full-width to half-width and compatibility forms (NFKC), case-folded: "Ｂｅｉ Jing" ->
    "bei jing". Spacing and punctuation stay; the callers decide what to drop."""
    if not value:
        return ""
    return unicodedata.normalize("NFKC", str(value)).casefold()


def compact(value: str | None) -> str:
    """:func:`fold`, letters and digits only: "Bei Jing-华为 (BJ)" -> "beijing华为bj"."""
    text = fold(value)
    return text if text.isalnum() or not text else _NOT_ALNUM.sub("", text)


def without_spaces(value: str | None) -> str:
    """:func:`fold` without any whitespace: 北京 华为 / 北京华为 are one name."""
    return "".join(fold(value).split())


# --- Pinyin -------------------------------------------------------------------------------------


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
def _name_syllables(name: str) -> tuple[str, ...]:
    """A name's syllables, cached: an imported or saved record asks for its search text and its
    mnemonic code, and the segmentation is the slow part of pypinyin."""
    return tuple(pinyin_syllables(name))


def _initials(syllables: tuple[str, ...]) -> str:
    # first letters, as ``Style.FIRST_LETTER`` would give them; other characters kept as written
    return "".join(s[:1] if len(s) > 1 else s for s in syllables)


def pinyin_initials(text: str) -> str:
    """Pinyin initials, other characters kept as written: 北京华为 -> bjhw, ABC科技 -> ABCkj."""
    return _initials(_name_syllables(text or ""))


@lru_cache(maxsize=65536)
def pinyin_forms(name: str) -> tuple[str, str]:
    """Full pinyin and pinyin initials of a name, compacted (北京华为 -> beijinghuawei, bjhw)."""
    syllables = _name_syllables(name or "")
    return compact("".join(syllables)), compact(_initials(syllables))


def pinyin_sort_key(text: str, max_length: int = 255) -> str:
    """The key that sorts names the way Chinese users expect, by pinyin (阿里 before 北京 before
    中信), Latin names among them by their letters: the full pinyin, compacted (北京华为 ->
    beijinghuawei, ABC科技 -> abckeji). Homophones tie; lists break ties by id."""
    return compact("".join(_name_syllables(text or "")))[:max_length]
