"""Identity resolution (查重): normalisation, blocking keys and an explainable pair score.

Pure functions, no database: the scan job, the creation-time check, the import and the
benchmark all build a :class:`Profile` per record and compare profiles.

* Normalisation: traditional → simplified characters (OpenCC's character table, in
  ``data/ts_characters.txt``; the pinyin syllables and the region names are data files too), full-width →
  half-width (NFKC), case and punctuation; company names lose legal forms (有限公司, Co., Ltd.),
  region names (北京, (北京), 北京市) and trade descriptors (技术, 科技) so that
  北京华为技术有限公司 / 华为技术(北京) / 华为北京 share the core 华为 and the region 北京;
  pinyin makes 华为 and "Huawei" comparable; phones become national numbers (+86/0086/86 and
  extensions dropped, landlines keep their area code); e-mail is lower-cased (dots and plus tags
  dropped for the providers that ignore them); addresses lose province/city/district tokens.
* Blocking: a handful of cheap keys per record (phone tail, e-mail, pinyin prefix of the name
  core, sorted initials, city + core): only records sharing a key are compared.
* Scoring: one component per field present on both sides, weighted; the total and the
  components are kept (``Score.explanation``) so a reviewer sees "name 0.93, phone exact".
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from kehu.core import phones
from kehu.core.text import fold as fold_case
from kehu.core.text import pinyin_syllables

#: Pairs at or above this probability go to the review queue (see docs/guide/duplicates.md;
#: chosen on the benchmarks in docs/benchmarks.md).
REVIEW_THRESHOLD = 0.70
#: A record is taken as "the same" without review (import's update mode) at or above this.
HIGH_THRESHOLD = 0.93
#: Persons (individual customers, contacts) matched on the name alone never reach the queue.
NAME_ONLY_CAP = 0.60
#: … unless they are in the same town (or at the same customer) with (nearly) the same name:
#: then they are queued, but never taken as the same without review.
SAME_CITY_NAME_CAP = 0.80
#: Two exact identifiers (phone, e-mail, address) reach the queue whatever the name's typos.
STRONG_FLOOR = 0.82
#: Blocks larger than this are compared only within a sliding window of sorted names.
MAX_BLOCK = 300
WINDOW = 40

# --- characters ------------------------------------------------------------------------------


def _data_lines(name: str) -> list[str]:
    """The lines of a data file in ``kehu/customers/data`` (comments and blank lines skipped)."""
    text = resources.files("kehu.customers").joinpath("data", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _sections(name: str, *sections: str) -> tuple[list[str], ...]:
    """A data file's ``[section]`` lists, in the order asked."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in _data_lines(name):
        if line.startswith("[") and line.endswith("]"):
            current = found.setdefault(line[1:-1], [])
        else:
            current.append(line)
    return tuple(found[s] for s in sections)


@lru_cache(maxsize=1)
def _ts_table() -> dict[int, str]:
    """Traditional → simplified, character by character: OpenCC's character table (Apache-2.0),
    shipped as our own data file (``data/ts_characters.txt``, see ``data/NOTICE``). OpenCC's
    phrase-level converter is 30 times slower, and its package's internal files are no API."""
    pairs = (line.split("\t") for line in _data_lines("ts_characters.txt"))
    return {ord(trad): simp for trad, simp in pairs}


def to_simplified(text: str) -> str:
    """華為技術 → 华为技术 (character table: fast, good enough for names and addresses)."""
    return text.translate(_ts_table())


_PUNCT = re.compile(
    r"[\s\-_.,;:!?'\"/\\|·•・&+@#*~`^$%=<>\[\]{}()（）【】《》「」『』“”‘’、，。；：！？]+"
)


def fold(text: str) -> str:
    """Full-width → half-width, case-folded (``kehu.core.text.fold``), simplified characters,
    collapsed whitespace."""
    return " ".join(to_simplified(fold_case(text)).split())


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def has_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)


#: Every toneless pinyin syllable (as pypinyin spells them), to split Latin spellings.
SYLLABLES = frozenset(_data_lines("pinyin_syllables.txt"))


@lru_cache(maxsize=200_000)
def segment(word: str) -> tuple[str, ...] | None:
    """ "huawei" → ("hua", "wei"), "weiming" → ("wei", "ming"); None when the word is not
    pinyin ("microsoft"). Longest syllable first, backtracking."""
    if not word:
        return ()
    for size in range(min(6, len(word)), 0, -1):
        head = word[:size]
        if head in SYLLABLES:
            rest = segment(word[size:])
            if rest is not None:
                return (head, *rest)
    return None


@lru_cache(maxsize=200_000)
def pinyin(text: str) -> tuple[str, ...]:
    """Pinyin syllables without tones; Latin words are split into syllables when they are
    pinyin ("Huawei" → hua, wei) and kept whole otherwise."""
    out: list[str] = []
    for part in pinyin_syllables(text, keep_whole=True):
        for w in re.split(r"[^0-9a-z]+", part.lower()):
            if w:
                out.extend(segment(w) or (w,))
    return tuple(out)


# --- company names ---------------------------------------------------------------------------

PROVINCES, CITIES = _sections("regions.txt", "provinces", "cities")
REGIONS = sorted({*PROVINCES, *CITIES, "中国"}, key=len, reverse=True)
_REGION_ALT = "|".join(REGIONS)
_REGION_SUFFIX = r"(?:特别行政区|自治区|省|市|区|县)?"
_LEADING_REGION = re.compile(rf"^({_REGION_ALT}){_REGION_SUFFIX}")
_TRAILING_REGION = re.compile(rf"({_REGION_ALT}){_REGION_SUFFIX}(?:分公司|办事处|分部)?$")
_BRACKETED = re.compile(r"[(（\[【]([^)）\]】]*)[)）\]】]")
LEGAL_FORMS = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团公司",
        "集团",
        "总公司",
        "分公司",
        "公司",
        "合伙企业",
        "个体工商户",
        "工作室",
        "事务所",
        "商行",
        "厂",
    ],
    key=len,
    reverse=True,
)
LATIN_LEGAL = {
    "co",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "company",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "group",
    "holdings",
    "holding",
    "the",
}
DESCRIPTORS = sorted(
    [
        "信息技术",
        "网络科技",
        "科技发展",
        "技术",
        "科技",
        "电子",
        "机械",
        "贸易",
        "电力",
        "物流",
        "医药",
        "食品",
        "建材",
        "证券",
        "教育",
        "实业",
        "软件",
        "网络",
        "信息",
        "咨询",
        "投资",
        "发展",
        "控股",
        "国际",
        "通信",
        "电气",
        "能源",
        "化工",
        "工程",
        "建设",
        "商贸",
        "服务",
        "文化",
        "传媒",
        "设备",
        "制造",
        "汽车",
        "生物",
        "环保",
        "新材料",
        "材料",
    ],
    key=len,
    reverse=True,
)
LATIN_DESCRIPTORS = {
    "technologies",
    "technology",
    "tech",
    "trading",
    "electronics",
    "software",
    "network",
    "networks",
    "international",
    "industries",
    "industrial",
    "logistics",
    "pharmaceutical",
    "communications",
    "energy",
    "consulting",
    "investment",
}


#: Descriptors that mean the same trade, in either script, compare equal.
SAME_TRADE = {
    "科技": "技术",
    "信息技术": "技术",
    "网络科技": "技术",
    "科技发展": "技术",
    "technologies": "技术",
    "technology": "技术",
    "tech": "技术",
    "商贸": "贸易",
    "trading": "贸易",
    "electronics": "电子",
    "software": "软件",
    "network": "网络",
    "networks": "网络",
    "logistics": "物流",
    "pharmaceutical": "医药",
    "communications": "通信",
    "energy": "能源",
    "consulting": "咨询",
    "investment": "投资",
    "international": "国际",
}


@dataclass(frozen=True, slots=True)
class CompanyName:
    core: str  # 华为
    region: str  # 北京 ('' when none)
    descriptor: str  # 技术 ('' when none)


@lru_cache(maxsize=1)
def _latin_regions() -> dict[str, str]:
    """shanghai → 上海, beijing → 北京 …: regions written in pinyin."""
    return {"".join(lazy_pinyin(r)): r for r in REGIONS}


def _strip_legal(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for form in LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text, changed = text[: -len(form)], True
                break
    return text


@lru_cache(maxsize=200_000)
def company_name(name: str) -> CompanyName:
    """北京华为技术有限公司, 华为技术(北京), 华为北京, 華為技術（北京）有限公司 → 华为 / 北京 / 技术;
    "Huawei Technologies Co., Ltd." → huawei / '' / technologies."""
    text = fold(name)
    if not has_cjk(text):
        words = [w for w in re.split(r"[^0-9a-z]+", text) if w and w not in LATIN_LEGAL]
        places = _latin_regions()
        region = next((places[w] for w in words if w in places), "")
        words = [w for w in words if w not in places] or words
        found = [w for w in words if w in LATIN_DESCRIPTORS]
        descriptor = SAME_TRADE.get(found[0], found[0]) if found else ""
        core_words = [w for w in words if w not in LATIN_DESCRIPTORS] or words
        return CompanyName(" ".join(core_words), region, descriptor)
    region = ""
    # bracketed parts: a region is kept as the region, anything else is dropped
    for inner in _BRACKETED.findall(text):
        m = _LEADING_REGION.match(inner.strip())
        if m and not region:
            region = m.group(1)
    text = _BRACKETED.sub("", text)
    text = _PUNCT.sub("", text)
    text = _strip_legal(text)
    m = _LEADING_REGION.match(text)
    if m and len(text) > m.end():
        region = region or m.group(1)
        text = text[m.end() :]
    text = _strip_legal(text)
    m = _TRAILING_REGION.search(text)
    if m and m.start() > 0:
        region = region or m.group(1)
        text = text[: m.start()]
    text = _strip_legal(text)
    descriptor = ""
    for word in DESCRIPTORS:
        if text.endswith(word) and len(text) > len(word):
            descriptor, text = SAME_TRADE.get(word, word), text[: -len(word)]
            break
    return CompanyName(text, region, descriptor)


# --- person names ----------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def person_name(name: str) -> str:
    """张 伟 / 張偉 → 张伟; "Zhang Wei" → "zhang wei" (titles and punctuation dropped)."""
    text = fold(name)
    text = re.sub(r"^(mr|mrs|ms|miss|dr)\.?\s+", "", text)
    text = re.sub(r"(先生|女士|小姐|老师|经理|总)$", "", text) if len(text) > 2 else text
    if has_cjk(text):
        return _PUNCT.sub("", text)
    return " ".join(w for w in re.split(r"[^0-9a-z]+", text) if w)


# --- phones ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phone:
    number: str  # national number: 13800138000, 01012345678, or the bare local 12345678
    local: str  # subscriber part of a landline (12345678), the whole number for a mobile
    mobile: bool
    has_area: bool


@lru_cache(maxsize=200_000)
def phone(raw: str) -> Phone | None:
    """+86 138 0013 8000 / 0086-138-0013-8000 / 13800138000 → 13800138000 (mobile);
    010-12345678 / +86 10 1234 5678 / (010)12345678-801 → 01012345678 (local 12345678);
    12345678 → local only. Not a phone → None. The reading is :mod:`kehu.core.phones`'
    (phonenumbers); a number it cannot validate is compared by its digits."""
    found = phones.parse(raw)
    if found is None:
        return None
    national = found.national
    if found.mobile:
        return Phone(national, national, True, True)
    if found.valid and found.chinese:  # a landline: the trunk 0 back, the area code off
        return Phone("0" + national, national[found.area_code_length :], False, True)
    if found.valid or 9 <= len(national) <= 15:
        # a foreign number (country code and national number), or one phonenumbers cannot
        # validate (an unassigned range): compared whole, its last 8 digits as the local part
        return Phone(national, national[-8:], False, True)
    if 5 <= len(national) <= 8:
        return Phone(national, national, False, False)  # a local number, or 95588 / 12345
    return None


def phone_score(a: Iterable[Phone], b: Iterable[Phone]) -> tuple[float, str]:
    """1.0 "exact" for the same national number; 0.9 "local" when one side lacks the area code
    and the subscriber numbers agree; 0.0 "different"."""
    best, how = 0.0, "different"
    for p in a:
        for q in b:
            if p.number == q.number:
                return 1.0, "exact"
            if (
                not p.mobile
                and not q.mobile
                and p.local == q.local
                and not (p.has_area and q.has_area)
            ):
                best, how = 0.9, "local"
    return best, how


# --- e-mail ----------------------------------------------------------------------------------

DOTLESS = {"gmail.com", "googlemail.com"}
PLUS_TAGS = {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "icloud.com"}


@lru_cache(maxsize=200_000)
def email(raw: str) -> str:
    """Lower case; gmail ignores dots; plus tags dropped where the provider ignores them."""
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    if "@" not in text:
        return ""
    local, _at, domain = text.rpartition("@")
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain in PLUS_TAGS:
        local = local.split("+", 1)[0]
    if domain in DOTLESS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def email_score(a: str, b: str) -> tuple[float, str]:
    if a == b:
        return 1.0, "exact"
    la, lb = a.split("@")[0], b.split("@")[0]
    if la == lb and len(la) >= 4:
        return 0.6, "same local part"
    return 0.0, "different"


# --- addresses -------------------------------------------------------------------------------

_CN_DIGITS = {c: str(i) for i, c in enumerate("零一二三四五六七八九")}
_ADDRESS_PREFIX = re.compile(
    rf"^(?:(?:{_REGION_ALT}){_REGION_SUFFIX}|[\u4e00-\u9fff]{{2,4}}(?:省|自治区))*"
)
_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,4}?(?:区|县)(?=[\u4e00-\u9fff])")
_STREET_WORDS = [
    ("大道", "路"),
    ("大街", "街"),
    ("road", "路"),
    ("rd", "路"),
    ("street", "街"),
    ("st", "街"),
    ("avenue", "路"),
    ("ave", "路"),
    ("no", ""),
    ("号楼", "栋"),
    ("幢", "栋"),
    ("座", "栋"),
    ("层", "楼"),
    ("f", "楼"),
    ("弄", "号"),
]


def _cn_number(m: re.Match) -> str:
    s = m.group(0)
    if s == "十":
        return "10"
    if "十" in s:
        head, _sep, tail = s.partition("十")
        return str(int(_CN_DIGITS.get(head, "1") or 1) * 10 + int(_CN_DIGITS.get(tail, "0")))
    return "".join(_CN_DIGITS[c] for c in s)


@dataclass(frozen=True, slots=True)
class Address:
    text: str  # 中关村路5号 (regions removed, street words unified)
    district: str
    numbers: frozenset[str]


@lru_cache(maxsize=200_000)
def address(raw: str) -> Address:
    """北京市海淀区中关村大街五号 / 海淀区中关村街5号 → 中关村街5号 (district 海淀)."""
    text = fold(raw)
    text = re.sub(r"[零一二三四五六七八九十]+(?=[号楼层栋室弄巷])", _cn_number, text)
    text = _ADDRESS_PREFIX.sub("", text)
    district = ""
    m = _DISTRICT.match(text)
    if m:
        district, text = m.group(0)[:-1], text[m.end() :]
    words = re.findall(r"[a-z]+|\d+|[\u4e00-\u9fff]+", text)
    out = []
    for w in words:
        for old, new in _STREET_WORDS:
            if w == old or (not w.isascii() and old in w and not old.isascii()):
                w = w.replace(old, new) if not w.isascii() else new
        if w:
            out.append(w)
    joined = "".join(out)
    return Address(joined, district, frozenset(re.findall(r"\d+", joined)))


def address_score(a: Address, b: Address) -> float:
    if not a.text or not b.text:
        return 0.0
    s = fuzz.token_set_ratio(" ".join(a.text), " ".join(b.text)) / 100
    if a.numbers and b.numbers and a.numbers != b.numbers:
        s *= 0.7  # another building number: another place
    if a.district and b.district and a.district != b.district:
        s *= 0.8
    return round(s, 2)


# --- profiles --------------------------------------------------------------------------------

COMPANY, INDIVIDUAL, CONTACT = "company", "individual", "contact"


@dataclass(slots=True)
class Profile:
    """Everything a comparison needs, normalised once per record."""

    id: int | None
    kind: str
    name: str  # folded full name
    core: str  # company core or person name
    region: str = ""
    descriptor: str = ""
    pinyin: tuple[str, ...] = ()
    phones: tuple[Phone, ...] = ()
    email: str = ""
    address: Address | None = None
    city: str = ""
    group: str = ""  # contacts: the core of their customer's name
    customer_id: int | None = None
    keys: list[str] = field(default_factory=list)
    #: persons: (surname, given name), folded (``linkage.split_name`` when only a name is known)
    name_parts: tuple[str, str] = ("", "")
    dob: str = ""  # birth date YYYYMMDD
    postcode: str = ""
    state: str = ""
    number: str = ""  # street number, when a file gives it apart from the address
    #: Latin script: the address's words (street types unified); Chinese: the normalised text
    address_words: tuple[str, ...] = ()
    address_cjk: bool = False
    city_cjk: bool = False

    @property
    def person(self) -> bool:
        return self.kind != COMPANY


#: Abbreviations of street types and the like, written out (so that a typo in the long form
#: stays a small edit): "12 Smith St" = "12 Smith Street".
_STREET_TYPES = {
    "st": "street",
    "str": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "dr": "drive",
    "pl": "place",
    "ct": "court",
    "cres": "crescent",
    "cr": "crescent",
    "cct": "circuit",
    "cl": "close",
    "ln": "lane",
    "pde": "parade",
    "tce": "terrace",
    "hwy": "highway",
    "blvd": "boulevard",
    "sq": "square",
    "gr": "grove",
    "mt": "mount",
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "apartment": "unit",
    "apt": "unit",
    "flat": "unit",
}


def _latin_address_words(text: str) -> tuple[str, ...]:
    """ "12 Smith Street, Unit 4" → ("12", "smith", "st", "unit", "4")."""
    words = re.findall(r"[a-z]+|\d+", fold(text))
    return tuple(_STREET_TYPES.get(w, w) for w in words if w not in ("no", "the", "of"))


def _value(values: dict, *names: str) -> str:
    for n in names:
        v = values.get(n)
        if v not in (None, ""):
            return str(v)
    return ""


def make_profile(
    values: dict, *, kind: str, id: int | None = None, customer_name: str = ""
) -> Profile:
    """Build a profile from a dict of model fields (a form's cleaned data, a CSV row, a record).

    Customers: name, kind, phone, fax, finance_phone, email, city, address, postcode, birthday.
    Contacts: name, mobile, office_phone, home_phone, email, birthday (+ ``customer_name``).
    Any person (``kehu dedupe``): given_name, surname, date_of_birth, street_number, address_1,
    address_2, suburb, postcode, state."""
    from .linkage import date_key, split_name

    given = person_name(_value(values, "given_name")) if kind != COMPANY else ""
    surname = person_name(_value(values, "surname")) if kind != COMPANY else ""
    name = _value(values, "name")
    if not name and (given or surname):
        name = f"{given} {surname}".strip() if not has_cjk(given + surname) else surname + given
    if kind == COMPANY:
        cn = company_name(name)
        core, region, descriptor = cn.core, cn.region, cn.descriptor
        parts = ("", "")
    else:
        core, region, descriptor = person_name(name), "", ""
        parts = (surname, given) if (given or surname) else split_name(core)
    city = fold(_value(values, "city", "suburb")).removesuffix("市")
    if kind == COMPANY and not region and city in REGIONS:
        region = city
    phones = []
    for key in ("phone", "mobile", "office_phone", "home_phone", "finance_phone", "fax"):
        p = phone(str(values.get(key) or ""))
        if p is not None and p not in phones:
            phones.append(p)
    raw_address = " ".join(
        str(values.get(k) or "") for k in ("address", "address_1", "address_2")
    ).strip()
    if not raw_address and _value(values, "street_number"):
        raw_address = " "
    cjk_address = has_cjk(raw_address)
    addr = address(raw_address) if raw_address else None
    if addr is None:
        words: tuple[str, ...] = ()
    elif cjk_address:
        words = (addr.text,) if addr.text else ()
    else:
        words = _latin_address_words(f"{_value(values, 'street_number')} {raw_address}")
    profile = Profile(
        id=id,
        kind=kind,
        name=fold(name),
        core=core,
        region=region,
        descriptor=descriptor,
        pinyin=pinyin(core),
        phones=tuple(phones),
        email=email(str(values.get("email") or "")),
        address=addr,
        city=city,
        group=company_name(customer_name).core if customer_name else "",
        customer_id=values.get("customer_id"),
        name_parts=parts,
        dob=date_key(values.get("birthday") or values.get("date_of_birth")),
        postcode=re.sub(r"\s+", "", fold(_value(values, "postcode"))),
        state=fold(_value(values, "state")),
        number=re.sub(r"\s+", "", fold(_value(values, "street_number"))),
        address_words=words,
        address_cjk=cjk_address,
        city_cjk=has_cjk(city),
    )
    profile.keys = blocking_keys(profile)
    return profile


def blocking_keys(p: Profile) -> list[str]:
    """Cheap keys; two records are compared only when they share one. Prefixed by the kind
    family (companies never pair with persons)."""
    fam = "c" if p.kind == COMPANY else "p"
    keys: set[str] = set()
    for ph in p.phones:
        if len(ph.local) >= 7:
            keys.add(f"{fam}t{ph.local[-8:] if ph.mobile else ph.local[-7:]}")
    if p.email:
        keys.add(f"{fam}e{p.email}")
    squash = "".join(p.pinyin)
    if len(squash) >= 3:
        keys.add(f"{fam}n{squash[:6]}")
    if p.person and len(p.pinyin) >= 2:
        keys.add(f"{fam}s{'|'.join(sorted(p.pinyin))}")  # Zhou Juan = Juan Zhou = 周娟
    if p.pinyin:
        initials = "".join(sorted(s[0] for s in p.pinyin))
        if len(initials) >= 2:
            keys.add(f"{fam}i{initials}{squash[-2:] if len(initials) < 3 else ''}")
    core = p.core.replace(" ", "")
    place = p.city or p.region
    if len(core) >= 2:
        keys.add(f"{fam}a{place}:{core[-2:]}")
        if place:  # without a place, the first character (a surname) blocks far too much
            keys.add(f"{fam}f{place}:{core[:1]}")
    if p.address and len(p.address.text) >= 4:
        keys.add(f"{fam}d{p.address.text}")
    if p.person:
        keys.update(_person_keys(p))
    elif p.postcode and len(core) >= 2:
        keys.add(f"cz{p.postcode}:{core[:2]}")
    return sorted(keys)


def _person_keys(p: Profile) -> set[str]:
    """More passes for persons, each on other fields, so that no single corrupted field hides
    a pair: birth date; each name part's sound (Soundex of its pinyin / Latin spelling) with
    the birth year, the postcode or the town; the street number with the street's first word."""
    from .linkage import soundex

    keys: set[str] = set()
    year = p.dob[:4]
    sounds = [soundex("".join(pinyin(part))) for part in p.name_parts if part]
    if p.dob:
        keys.add(f"pb{p.dob}")
    street = next((w for w in p.address_words if w.isalpha() and len(w) >= 3), "")
    for snd in sounds:
        if year:
            keys.add(f"py{snd}{year}")
        if p.postcode:
            keys.add(f"pz{snd}{p.postcode}")
        if p.city:
            keys.add(f"pc{snd}{p.city}")
    if len(sounds) == 2:
        keys.add(f"pk{''.join(sorted(sounds))}")
    if street:
        number = p.number or next((w for w in p.address_words if w.isdigit()), "")
        if number:
            keys.add(f"pd{number}:{street}")
        if p.postcode:
            keys.add(f"pp{p.postcode}:{street}")
    return keys


# --- comparison ------------------------------------------------------------------------------


def _ratio(a, b) -> float:
    """Normalised edit similarity (Indel) of two strings or two syllable sequences. Jaro-Winkler
    was tried and dropped: on two-character cores (宇北 / 云北) it rates different companies
    as near-identical."""
    return fuzz.ratio(a, b) / 100


def _abbreviation(short: str, long: str) -> bool:
    """北大 ⊂ 北京大学 (in order, same first character): an abbreviation."""
    if len(short) < 2 or len(short) >= len(long) or short[0] != long[0]:
        return False
    it = iter(long)
    return all(ch in it for ch in short)


def name_score(a: Profile, b: Profile) -> tuple[float, str]:
    """Best of: characters, pinyin (homophones, "Huawei" vs 华为), sorted characters
    (transposed 张明伟 / 张伟明), abbreviation; then region and descriptor conflicts."""
    ca, cb = a.core.replace(" ", ""), b.core.replace(" ", "")
    if not ca or not cb:
        return 0.0, "missing"
    if ca == cb:
        best, how = 1.0, "exact"
    else:
        best, how = _ratio(ca, cb), "similar"
        pa, pb = "".join(a.pinyin), "".join(b.pinyin)
        if pa and pb:
            if all(x in SYLLABLES for x in (*a.pinyin, *b.pinyin)):
                # syllable by syllable: homophones and pinyin spellings match, near-sounding
                # syllables (xin / xing) do not; people's names in any order
                s = _ratio(a.pinyin, b.pinyin)
                if a.person and b.person:
                    s = max(s, _ratio(sorted(a.pinyin), sorted(b.pinyin)))
                s *= 0.97
            else:  # a Latin word that is no pinyin: letter by letter, in any word order
                s = _ratio(pa, pb)
                if a.person and b.person:
                    sa, sb = " ".join(a.pinyin), " ".join(b.pinyin)
                    s = max(s, fuzz.token_sort_ratio(sa, sb) / 100)
                    s = max(s, _ratio("".join(sorted(a.pinyin)), "".join(sorted(b.pinyin))))
                s *= 0.97
            if s > best:
                best, how = s, "pinyin"
        if best < 0.92 and len(ca) == len(cb) and sorted(ca) == sorted(cb):
            best, how = 0.92, "transposed"
        abbreviated = _abbreviation(ca, cb) or _abbreviation(cb, ca)
        if best < 0.85 and has_cjk(ca) and has_cjk(cb) and abbreviated:
            best, how = 0.85, "abbreviation"
    if not a.person:
        if a.region and b.region and a.region != b.region:
            best, how = best * 0.75, f"{how}, other region"
        if a.descriptor and b.descriptor and a.descriptor != b.descriptor:
            best, how = best * 0.85, f"{how}, other trade"
    return round(best, 2), how


@dataclass(frozen=True, slots=True)
class Score:
    total: float  # the probability that the two records are one (Fellegi–Sunter posterior)
    components: dict  # field → {"score": 0.93, "how": "pinyin"}
    weights: dict = field(default_factory=dict)  # field → log2(m/u), its contribution
    match_weight: float = 0.0  # the sum, with the prior odds

    @property
    def explanation(self) -> dict:
        return {
            "total": self.total,
            "fields": self.components,
            "weights": self.weights,
            "match_weight": round(self.match_weight, 2),
        }

    def summary(self) -> str:
        return explain_text(self.explanation)


def explain_text(explanation: dict) -> str:
    """{"fields": {"name": {"score": .93}, "phone": {"how": "exact"}}} → "name 0.93, phone exact"."""
    parts = []
    for name, comp in (explanation.get("fields") or {}).items():
        how = comp.get("how", "")
        if name in ("phone", "email") and how in ("exact", "local", "different"):
            parts.append(f"{name} {how}")
        else:
            parts.append(f"{name} {comp.get('score', 0):.2f}")
    return ", ".join(parts)


#: Fields that say nothing about identity on their own (a shared state, a shared employer).
WEAK_FIELDS = {"name", "company"}


def _name_only(a: Profile, b: Profile, total: float, comps: dict) -> float:
    """Only the names (and the town, the employer) could be compared: weak evidence. Two
    people of one name in one town are usually two people: at most queued for review (same
    town or same customer), never taken as the same; companies lose a little (a similar name
    alone is how different companies look, too)."""
    if a.person:
        same_customer = a.customer_id is not None and a.customer_id == b.customer_id
        same_town = comps.get("place", {}).get("score", 0) >= 0.7
        if (same_customer or same_town) and comps["name"]["score"] >= 0.9:
            return min(total, SAME_CITY_NAME_CAP)
        return min(total, NAME_ONLY_CAP)
    if set(comps) <= WEAK_FIELDS:
        return total - 0.05
    return total


def compare(a: Profile, b: Profile, model=None, vector=None) -> Score:
    """The Fellegi–Sunter score of a pair (``kehu.customers.linkage``): one component per
    field both records have, with its level and its weight; ``model`` the fitted m/u
    probabilities (default: the priors)."""
    from .linkage import score_pair

    scored = score_pair(a, b, model, vector)
    comps = {f: {"score": round(s, 2), "how": how} for f, (_lv, s, how) in scored.vector.items()}
    total = scored.probability
    if set(comps) <= WEAK_FIELDS | {"place"} and "name" in comps:
        total = _name_only(a, b, total, comps)
    name = scored.vector.get("name")
    colleague = a.person and name is not None and name[0] == 5 and "dob" not in comps
    if colleague and total >= REVIEW_THRESHOLD:
        total = REVIEW_THRESHOLD - 0.01  # shared phone/e-mail, other name: a colleague
    return Score(round(max(total, 0.0), 3), comps, scored.contributions, scored.weight)


# --- blocking over a batch -------------------------------------------------------------------


def candidate_pairs(profiles: list[Profile]) -> set[tuple[int, int]]:
    """Every blocked index pair (i < j) as one set: for small batches and the tests; a scan
    walks :func:`iter_candidate_pairs` instead (its memory does not grow with the pairs)."""
    return set(iter_candidate_pairs(profiles))


def iter_candidate_pairs(profiles: list[Profile]) -> Iterator[tuple[int, int]]:
    """Index pairs (i < j) sharing a blocking key, each once, block by block: nothing but the
    blocks is held, never the pairs. Oversized blocks are compared only within a window of
    records sorted by pinyin (sorted-neighbourhood), so the count stays near-linear.

    A pair that shares several keys is yielded in the first of them (in key order) whose
    block compares it — for an oversized block, when the two are within the window there —
    so no set of the pairs seen is needed."""
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        for key in p.keys:
            blocks[key].append(i)
    for key in [k for k, members in blocks.items() if len(members) < 2]:
        del blocks[key]  # a key of one record pairs nothing
    #: oversized blocks: key -> {record index: position in the pinyin order}
    windows: dict[str, dict[int, int]] = {}
    for key, members in blocks.items():
        if len(members) > MAX_BLOCK:
            members.sort(key=lambda i: "".join(profiles[i].pinyin))
            windows[key] = {i: pos for pos, i in enumerate(members)}

    def compares(key: str, i: int, j: int) -> bool:
        pos = windows.get(key)
        return pos is None or abs(pos[i] - pos[j]) <= WINDOW

    def first(key: str, i: int, j: int) -> bool:
        """Is ``key`` the first shared key whose block compares (i, j)?"""
        keys_j = profiles[j].keys
        for k in profiles[i].keys:  # sorted (``blocking_keys``)
            if k >= key:
                return True
            if k in blocks and k in keys_j and compares(k, i, j):
                return False
        return True

    for key in sorted(blocks):
        members = blocks[key]
        oversized = key in windows
        for x, i in enumerate(members):
            for j in members[x + 1 : x + 1 + WINDOW] if oversized else members[x + 1 :]:
                if first(key, i, j):
                    yield (i, j) if i < j else (j, i)


def find_duplicates(
    profiles: list[Profile], *, threshold: float = REVIEW_THRESHOLD
) -> Iterator[tuple[Profile, Profile, Score]]:
    """Every blocked pair scoring at or above ``threshold``."""
    for i, j in candidate_pairs(profiles):
        a, b = profiles[i], profiles[j]
        score = compare(a, b)
        if score.total >= threshold:
            yield a, b, score
