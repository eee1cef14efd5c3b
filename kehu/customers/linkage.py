"""Fellegi–Sunter record linkage over :class:`kehu.customers.matching.Profile`.

Pure functions, no database. A pair of profiles becomes a *comparison vector*: one level per
field both records have (``None`` where either side lacks the field — missing data is no
evidence). Each level has two probabilities:

* ``m`` — how often a true duplicate pair shows this level;
* ``u`` — how often two different records show it.

The pair's match weight is ``log2(λ / (1 - λ)) + Σ log2(m / u)`` over its fields, and its score
the posterior probability ``2^w / (1 + 2^w)``; every field's ``log2(m / u)`` is kept as its
contribution, so a reviewer sees "surname −3.1, birth date +6.2, postcode +4.0".

``u`` is counted on random pairs of the data itself (a random pair is almost always two
different records), ``m`` and ``λ`` (the share of true pairs among the blocked pairs) are
estimated by expectation–maximisation over the blocked pairs; both start from — and, on small
data, stay near — the priors below (Dirichlet pseudo-counts), so a book of ten customers
still gets sensible weights. See docs/guide/duplicates.md.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from . import matching as mt

# --- comparison levels -----------------------------------------------------------------------

#: field → its levels, best first; a level's prior (m, u).
LEVELS: dict[str, list[tuple[str, float, float]]] = {
    "name": [
        ("exact", 0.55, 0.0005),
        ("similar", 0.20, 0.002),
        ("close", 0.08, 0.006),
        ("one part, other missing", 0.04, 0.004),
        ("one part, other differs", 0.10, 0.03),
        ("different", 0.03, 0.9575),
    ],
    "dob": [
        ("exact", 0.80, 0.0002),
        ("typo", 0.12, 0.002),
        ("two typos", 0.03, 0.01),
        ("same year", 0.02, 0.02),
        ("different", 0.03, 0.9678),
    ],
    "phone": [
        ("exact", 0.80, 0.0005),
        ("local", 0.05, 0.001),
        ("typo", 0.04, 0.002),
        ("different", 0.11, 0.9965),
    ],
    "email": [
        ("exact", 0.80, 0.0005),
        ("local part", 0.05, 0.001),
        ("different", 0.15, 0.9985),
    ],
    "address": [
        ("exact", 0.60, 0.002),
        ("similar", 0.20, 0.004),
        ("partial", 0.10, 0.03),
        ("different", 0.10, 0.964),
    ],
    "place": [
        ("postcode and town", 0.75, 0.004),
        ("postcode", 0.07, 0.003),
        ("town", 0.08, 0.012),
        ("near", 0.05, 0.01),
        ("same state", 0.02, 0.25),
        ("different", 0.03, 0.721),
    ],
    "company": [
        ("same customer", 0.6, 0.01),
        ("similar", 0.25, 0.02),
        ("different", 0.15, 0.97),
    ],
}
FIELDS = tuple(LEVELS)
#: the share of true duplicates among blocked pairs before anything is known
PRIOR_LAMBDA = 0.02
#: Dirichlet pseudo-counts of the priors: how many pairs' worth of belief they carry
PRIOR_STRENGTH_M = 50.0
PRIOR_STRENGTH_U = 200.0
#: whether ``fit`` estimates m by EM (else m stays at the priors; u, λ and the name
#: frequencies are always taken from the data)
ESTIMATE_M = True
#: λ never falls below one duplicate pair per this many records
LAMBDA_FLOOR_RECORDS = 20
#: the most common name parts kept for the term-frequency adjustment (a stored model stays
#: small on a book of a million)
TF_KEEP = 20000
#: companies at different addresses: a shared phone is not counted (an organisation's sites
#: share a switchboard)
BRANCHES = True

# --- name parts ------------------------------------------------------------------------------

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
    ]
)
#: A few common English nicknames (both directions compare as "similar").
NICKNAMES = {
    frozenset(p)
    for p in (
        ("william", "bill"),
        ("william", "will"),
        ("william", "billy"),
        ("robert", "bob"),
        ("robert", "rob"),
        ("robert", "bobby"),
        ("richard", "dick"),
        ("richard", "rick"),
        ("james", "jim"),
        ("james", "jimmy"),
        ("john", "jack"),
        ("john", "johnny"),
        ("margaret", "maggie"),
        ("margaret", "peggy"),
        ("elizabeth", "liz"),
        ("elizabeth", "beth"),
        ("elizabeth", "betty"),
        ("katherine", "kate"),
        ("catherine", "kate"),
        ("katherine", "kathy"),
        ("michael", "mike"),
        ("thomas", "tom"),
        ("joseph", "joe"),
        ("daniel", "dan"),
        ("christopher", "chris"),
        ("matthew", "matt"),
        ("anthony", "tony"),
        ("edward", "ed"),
        ("edward", "ted"),
        ("alexander", "alex"),
        ("samuel", "sam"),
        ("benjamin", "ben"),
        ("nicholas", "nick"),
        ("jennifer", "jen"),
        ("jessica", "jess"),
        ("rebecca", "becky"),
        ("patricia", "pat"),
        ("susan", "sue"),
        ("deborah", "deb"),
        ("victoria", "vicky"),
        ("stephen", "steve"),
        ("steven", "steve"),
        ("andrew", "andy"),
        ("peter", "pete"),
        ("jonathan", "jon"),
        ("timothy", "tim"),
        ("david", "dave"),
        ("charles", "charlie"),
        ("henry", "harry"),
        ("lawrence", "larry"),
        ("gregory", "greg"),
        ("zachary", "zach"),
    )
}


def split_name(name: str) -> tuple[str, str]:
    """(surname, given) of a person's folded name: 张伟明 → (张, 伟明), 欧阳娜娜 → (欧阳, 娜娜);
    "zhang weiming" → ("weiming", "zhang")? No: Latin order is unknown, so the last word is
    taken as the surname and the comparison tries both orders."""
    name = name.strip()
    if not name:
        return "", ""
    if mt.has_cjk(name) and " " not in name:
        cut = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
        return name[:cut], name[cut:]
    words = name.split()
    if len(words) == 1:
        return "", words[0]
    return words[-1], " ".join(words[:-1])


def _latin(part: str) -> str:
    return "".join(mt.pinyin(part)) if part else ""


def part_similarity(x: str, y: str) -> float:
    """1.0 for equal parts; 0.95 for the same pinyin (homophones, 华为 / Huawei) or a nickname;
    otherwise Jaro-Winkler of the Latin spellings."""
    if not x or not y:
        return -1.0  # missing
    if x == y:
        return 1.0
    lx, ly = _latin(x), _latin(y)
    if lx == ly or frozenset((lx, ly)) in NICKNAMES:
        return 0.95
    if mt.has_cjk(x) and mt.has_cjk(y):  # two different characters: pinyin decides, strictly
        return 0.9 * Levenshtein.normalized_similarity(mt.pinyin(x), mt.pinyin(y))
    return JaroWinkler.similarity(lx, ly)


def name_level(a: mt.Profile, b: mt.Profile) -> tuple[int, float, str]:
    """Level index, a 0–1 similarity for display, and how: parts in either order (swaps),
    missing parts, replaced parts; the whole-name score (pinyin, transpositions, company
    cores) for the rest."""
    whole, how = mt.name_score(a, b)
    if not a.person:
        if whole >= 0.99:
            return 0, whole, how
        if whole >= 0.92:
            return 1, whole, how
        if whole >= 0.85:
            return 2, whole, how
        if whole >= 0.7:
            return 4, whole, how
        return 5, whole, how
    (sa, ga), (sb, gb) = a.name_parts, b.name_parts
    straight = (part_similarity(sa, sb), part_similarity(ga, gb))
    crossed = (part_similarity(sa, gb), part_similarity(ga, sb))
    parts, swapped = straight, False
    if sum(crossed) > sum(straight) and min(crossed) >= 0.85:
        parts, swapped = crossed, True
    hi, lo = max(parts), min(parts)
    anywhere = max(*straight, *crossed)  # one part agrees, in either position
    tag = "swapped" if swapped else how
    if whole >= 0.99 or lo >= 0.999:
        return 0, 1.0, "exact" if not swapped else "swapped"
    if lo >= 0.88 or (whole >= 0.92 and lo != -1.0):
        return 1, max(whole, (hi + lo) / 2), tag
    if lo >= 0.75 or (whole >= 0.85 and lo != -1.0):
        return 2, max(whole, (hi + lo) / 2), tag
    if anywhere >= 0.92 and lo == -1.0:
        return 3, anywhere, "one part, other missing"
    if anywhere >= 0.92:
        return 4, whole, "one part, other differs"
    return 5, whole, "different"


def _digits_close(x: str, y: str) -> bool:
    """One substituted digit, or two neighbours swapped."""
    return len(x) == len(y) and OSA.distance(x, y) <= 1


def dob_level(x: str, y: str) -> int:
    """Birth dates as YYYYMMDD: exact; a typo (one digit, two swapped digits, day and month
    swapped); two such typos (both records were mistyped); the same year; different."""
    if x == y:
        return 0
    if _digits_close(x, y) or (x[:4] == y[:4] and x[4:6] == y[6:8] and x[6:8] == y[4:6]):
        return 1
    if len(x) == len(y) and OSA.distance(x, y) <= 2:
        return 2
    if x[:4] == y[:4]:
        return 3
    return 4


def phone_level(a: Iterable[mt.Phone], b: Iterable[mt.Phone], *, typos: bool = True) -> int:
    """exact; the same local number, one side without area code; one digit off (persons only:
    a company's lines are numbered in sequence); different."""
    best = 3
    for p in a:
        for q in b:
            if p.number == q.number:
                return 0
            if (
                not p.mobile
                and not q.mobile
                and p.local == q.local
                and not (p.has_area and q.has_area)
            ):
                best = min(best, 1)
            elif typos and len(p.number) >= 7 and OSA.distance(p.number, q.number) <= 1:
                best = min(best, 2)
    return best


def address_level(a: mt.Profile, b: mt.Profile) -> tuple[int, float]:
    """Chinese: characters (:func:`matching.address_score`); Latin script: words — the same
    words in any order, most of them, or only some (a missing second line is "similar", not
    "exact")."""
    if a.address_cjk or b.address_cjk:
        s = mt.address_score(a.address, b.address)
        return (0 if s >= 0.97 else 1 if s >= 0.88 else 2 if s >= 0.65 else 3), s
    ta, tb = a.address_words, b.address_words
    if ta == tb:
        return 0, 1.0
    sort = fuzz.token_sort_ratio(" ".join(ta), " ".join(tb)) / 100
    subset = fuzz.token_set_ratio(" ".join(ta), " ".join(tb)) / 100
    if sort >= 0.9 or subset >= 0.99:
        return 1, max(sort, subset)
    if sort >= 0.7 or subset >= 0.8:
        return 2, max(sort, subset)
    return 3, sort


def place_level(a: mt.Profile, b: mt.Profile) -> tuple[int, float, str] | None:
    """Postcode, town and state are one piece of evidence (where the record lives), compared
    together so that a shared postcode is not counted three times."""
    pc = (a.postcode == b.postcode) if a.postcode and b.postcode else None
    pc_near = bool(a.postcode and b.postcode and _digits_close(a.postcode, b.postcode))
    town = None
    town_near = False
    if a.city and b.city:
        town = a.city == b.city
        town_near = not town and not a.city_cjk and JaroWinkler.similarity(a.city, b.city) >= 0.9
    st = (a.state == b.state) if a.state and b.state else None
    if pc is None and town is None and st is None:
        return None
    if pc and town is not False:
        lv = 0 if town else 1
    elif town and pc is None:
        lv = 2
    elif pc:
        lv = 1
    elif town:
        lv = 2
    elif pc_near or town_near:
        lv = 3
    elif st:
        lv = 4
    else:
        lv = 5
    return lv, (1.0, 0.8, 0.7, 0.6, 0.2, 0.0)[lv], LEVELS["place"][lv][0]


def compare_vector(a: mt.Profile, b: mt.Profile) -> dict[str, tuple[int, float, str]]:
    """{field: (level index, similarity 0–1, how)} for the fields both records have."""
    out: dict[str, tuple[int, float, str]] = {}
    if (a.core or a.name_parts != ("", "")) and (b.core or b.name_parts != ("", "")):
        out["name"] = name_level(a, b)
    if a.dob and b.dob:
        lv = dob_level(a.dob, b.dob)
        out["dob"] = (lv, (1.0, 0.8, 0.5, 0.3, 0.0)[lv], LEVELS["dob"][lv][0])
    if a.phones and b.phones:
        lv = phone_level(a.phones, b.phones, typos=a.person)
        out["phone"] = (lv, (1.0, 0.9, 0.8, 0.0)[lv], LEVELS["phone"][lv][0])
    if a.email and b.email:
        s, how = mt.email_score(a.email, b.email)
        out["email"] = ((0 if s >= 1 else 1 if s > 0 else 2), s, how)
    if a.address_words and b.address_words:
        lv, s = address_level(a, b)
        out["address"] = (lv, round(s, 2), LEVELS["address"][lv][0])
    place = place_level(a, b)
    if place is not None:
        out["place"] = place
    if a.group and b.group:
        if a.customer_id is not None and a.customer_id == b.customer_id:
            out["company"] = (0, 1.0, "same customer")
        else:
            s = fuzz.ratio(a.group, b.group) / 100
            out["company"] = (1 if s >= 0.85 else 2, round(s, 2), "similar" if s >= 0.85 else "")
    return out


# --- the model -------------------------------------------------------------------------------


@dataclass
class Model:
    """m and u per field and level, and λ; ``fitted`` tells how they were obtained."""

    m: dict[str, list[float]] = field(default_factory=dict)
    u: dict[str, list[float]] = field(default_factory=dict)
    lam: float = PRIOR_LAMBDA
    fitted: str = "prior"
    #: name-part frequencies ("s" surnames, "g" given names; "n" the number of persons)
    tf: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def prior(cls) -> Model:
        return cls(
            m={f: [lv[1] for lv in levels] for f, levels in LEVELS.items()},
            u={f: [lv[2] for lv in levels] for f, levels in LEVELS.items()},
        )

    def weights(self) -> dict[str, list[float]]:
        key = (id(self.m), id(self.u), tuple(tuple(v) for v in self.m.values()))
        cached = getattr(self, "_weights", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        out = self._weights_uncached()
        object.__setattr__(self, "_weights", (key, out))
        return out

    def _weights_uncached(self) -> dict[str, list[float]]:
        return {
            f: [math.log2(max(m, 1e-6) / max(u, 1e-6)) for m, u in zip(ms, self.u[f], strict=True)]
            for f, ms in self.m.items()
        }

    def as_dict(self) -> dict:
        return {"m": self.m, "u": self.u, "lambda": self.lam, "fitted": self.fitted, "tf": self.tf}

    @classmethod
    def from_dict(cls, data: dict | None) -> Model:
        prior = cls.prior()
        if not data:
            return prior
        m = {f: list(data.get("m", {}).get(f) or prior.m[f]) for f in FIELDS}
        u = {f: list(data.get("u", {}).get(f) or prior.u[f]) for f in FIELDS}
        for f in FIELDS:  # a stored model from an older set of levels: the prior
            if len(m[f]) != len(prior.m[f]) or len(u[f]) != len(prior.u[f]):
                m[f], u[f] = prior.m[f], prior.u[f]
        return cls(
            m,
            u,
            float(data.get("lambda", PRIOR_LAMBDA)),
            data.get("fitted", "stored"),
            data.get("tf") or {},
        )


_PRIOR = Model.prior()


@dataclass(frozen=True, slots=True)
class Scored:
    probability: float
    weight: float
    contributions: dict[str, float]
    vector: dict[str, tuple[int, float, str]]


#: Fields that describe where a record lives: a household shares all of them.
LOCATION = ("address", "phone", "place")


def score_vector(
    vector: dict[str, tuple[int, float, str]],
    model: Model | None = None,
    *,
    adjust: dict[str, float] | None = None,
    household: bool = False,
) -> Scored:
    """``adjust``: a field's weight replaced (the name's, adjusted for how common it is);
    ``household``: another birth date — the shared address, phone and town are a family's,
    not evidence of one person, so their positive weights are dropped (the fields are not
    independent there, which the model assumes)."""
    model = model or _PRIOR
    weights = model.weights()
    base = math.log2(model.lam / (1 - model.lam))
    contributions = {f: round(weights[f][lv], 2) for f, (lv, _s, _h) in vector.items()}
    for f, w in (adjust or {}).items():
        if f in contributions:
            contributions[f] = round(w, 2)
    if household:
        for f in LOCATION:
            if contributions.get(f, 0) > 0:
                contributions[f] = 0.0
    w = base + sum(contributions.values())
    p = 1 / (1 + 2 ** (-w)) if w > -60 else 0.0
    return Scored(p, w, contributions, vector)


def _frequency(model: Model, part: str) -> float | None:
    tf = model.tf
    if not tf or not part:
        return None
    # the larger of its frequencies as a surname and as a given name (parts get swapped)
    f = max(tf.get("s", {}).get(part, 0.0), tf.get("g", {}).get(part, 0.0)) or None
    if f is None:  # seen once in the data (or rarer than the stored table): as rare as can be
        f = tf.get("floor", {}).get("") or 1 / max(tf["n"][""], 1.0)
    return f


def name_weight(a: mt.Profile, b: mt.Profile, level: int, model: Model) -> float | None:
    """The name's weight adjusted for how common the agreeing parts are (splink's
    term-frequency adjustment): u of an exact agreement is the frequency of the value, not
    the average over all names — two 'john smith' are weaker evidence than two 'kheryl
    pemcott'. Only for exact agreement of a whole name or of one part."""
    if not model.tf or level not in (0, 3, 4):
        return None
    if not a.person:  # a company: how common its exact core is (a chain's sites share it)
        core = a.core.replace(" ", "")
        companies = model.tf.get("n", {}).get("c", 0.0)
        if level != 0 or not companies or core != b.core.replace(" ", ""):
            return None
        f = model.tf.get("c", {}).get(core) or 1 / companies
        return math.log2(max(model.m["name"][0], 1e-6) / max(f, 1e-9))
    parts_a = [x for x in a.name_parts if x]
    parts_b = {x for x in b.name_parts if x}
    agreeing = [x for x in parts_a if x in parts_b]
    if not agreeing or (level == 0 and len(agreeing) < len(parts_a)):
        return None
    u = 1.0
    for part in agreeing:
        u *= _frequency(model, part) or 1.0
    m = model.m["name"][level]
    return math.log2(max(m, 1e-6) / max(u, 1e-9))


#: the family discount is not applied to a similar (typo) name: see ``score_pair``
HOUSEHOLD_NOT_FOR_TYPOS = True
_VOWELS = frozenset("aeiouy")


def _gendered_pair(x: str, y: str) -> bool:
    """Two given names a couple or two siblings could bear: one the other plus a short
    ending (paul/paula, daniel/danielle, eric/erica), or the same but for one vowel
    (francis/frances, jean/joan)."""
    if not x or not y or x == y:
        return False
    short, long_ = sorted((x, y), key=len)
    if long_.startswith(short) and 0 < len(long_) - len(short) <= 3 and len(short) >= 3:
        return True
    if len(x) == len(y):
        diff = [(c, d) for c, d in zip(x, y, strict=True) if c != d]
        return len(diff) == 1 and diff[0][0] in _VOWELS and diff[0][1] in _VOWELS
    return False


def score_pair(
    a: mt.Profile, b: mt.Profile, model: Model | None = None, vector: dict | None = None
) -> Scored:
    """``vector``: the pair's comparison vector when already computed (the scan computes it
    once for fitting and scoring)."""
    model = model or _PRIOR
    vector = compare_vector(a, b) if vector is None else vector
    adjust = {}
    name = vector.get("name")
    if name is not None:
        w = name_weight(a, b, name[0], model)
        if w is not None:
            adjust["name"] = w
    # another birth date: whatever else the two share, a shared address, phone and town are
    # what a family shares (father and son of one name, a spouse): not counted for one person
    household = a.person and "dob" in vector and vector["dob"][0] == len(LEVELS["dob"]) - 1
    if household and HOUSEHOLD_NOT_FOR_TYPOS and name is not None and name[0] in (1, 2):
        # a similar name (a typo) at the same address is one person whose birth date was
        # mistyped or replaced — unless the given names are a couple's (Paul/Paula, Francis/
        # Frances, Daniel/Danielle): relatives share a surname, not a misspelt given name
        household = _gendered_pair(a.name_parts[1], b.name_parts[1])
    # companies at another address: a shared phone is what an organisation's sites (a head
    # office's switchboard) share, not evidence of one site — not counted for the pair
    phone, address = vector.get("phone"), vector.get("address")
    if (
        BRANCHES
        and not a.person
        and phone is not None
        and address is not None
        and address[0] == len(LEVELS["address"]) - 1
        and model.weights()["phone"][phone[0]] > 0
    ):
        adjust["phone"] = 0.0
    return score_vector(vector, model, adjust=adjust, household=household)


# --- estimation ------------------------------------------------------------------------------


def _pattern(vector: dict[str, tuple[int, float, str]]) -> tuple:
    return tuple(vector[f][0] if f in vector else -1 for f in FIELDS)


def estimate_u(
    profiles: list[mt.Profile], *, samples: int = 20000, seed: int = 1
) -> dict[str, list[float]]:
    """u from random pairs of the same family (companies with companies, persons with
    persons), smoothed towards the prior (which matters on small data)."""
    rng = random.Random(seed)
    fams: dict[bool, list[int]] = {True: [], False: []}
    for i, p in enumerate(profiles):
        fams[p.person].append(i)
    counts = {f: [0.0] * len(LEVELS[f]) for f in FIELDS}
    groups = [g for g in fams.values() if len(g) >= 2]
    if groups:
        total = sum(len(g) for g in groups)
        for g in groups:
            want = max(1, samples * len(g) // total)
            if len(g) * (len(g) - 1) // 2 <= want:  # a small book: every pair, once
                drawn = [(i, j) for x, i in enumerate(g) for j in g[x + 1 :]]
            else:
                drawn = [tuple(rng.sample(g, 2)) for _ in range(want)]
            for i, j in drawn:
                for f, (lv, _s, _h) in compare_vector(profiles[i], profiles[j]).items():
                    counts[f][lv] += 1
    out = {}
    for f, cs in counts.items():
        prior = _PRIOR.u[f]
        n = sum(cs)
        out[f] = [
            (c + PRIOR_STRENGTH_U * p) / (n + PRIOR_STRENGTH_U)
            for c, p in zip(cs, prior, strict=True)
        ]
    return out


def lambda_for(records: int) -> float:
    """λ for a book of ``records`` records when nothing was fitted: one duplicate pair per
    ``LAMBDA_FLOOR_RECORDS`` records, among all pairs (the floor :func:`fit` keeps)."""
    n = max(records, 2)
    return min(0.5, n / LAMBDA_FLOOR_RECORDS / (n * (n - 1) / 2))


def pairs_in(profiles: list[mt.Profile]) -> int:
    """All comparable pairs (persons with persons, companies with companies)."""
    persons = sum(1 for p in profiles if p.person)
    others = len(profiles) - persons
    return persons * (persons - 1) // 2 + others * (others - 1) // 2


def fit(
    profiles: list[mt.Profile],
    vectors: Iterable[dict[str, tuple[int, float, str]]],
    *,
    iterations: int = 30,
    estimate_m: bool = ESTIMATE_M,
) -> Model:
    """u from random pairs of the data (kept fixed), λ — the share of true pairs among *all*
    pairs, so that the score is the posterior probability of a pair of this data — and,
    with ``estimate_m``, m by EM over the blocked pairs' comparison vectors (pairs not
    blocked are taken as non-matches). Patterns are counted once, so the EM costs the number
    of distinct patterns, not of pairs. Name frequencies for the term-frequency adjustment
    are counted on the profiles too."""
    patterns = Counter(_pattern(v) for v in vectors)
    u = estimate_u(profiles)
    total_pairs = max(1, pairs_in(profiles))
    model = Model(
        m={f: list(v) for f, v in _PRIOR.m.items()},
        u=u,
        lam=min(0.5, 0.5 * max(len(profiles), 1) / total_pairs),
        tf=name_frequencies(profiles),
    )
    if not patterns:
        model.fitted = "prior m, random-pair u"
        return model
    items = list(patterns.items())
    n = sum(patterns.values())
    # a book where the EM finds (almost) no duplicates today must still let tomorrow's through:
    # λ stays at least what one duplicate per LAMBDA_FLOOR_RECORDS records would give
    lam_floor = min(0.5, max(1, len(profiles)) / LAMBDA_FLOOR_RECORDS / total_pairs)
    for _ in range(iterations):
        lw = {f: [math.log(max(x, 1e-9)) for x in v] for f, v in model.m.items()}
        lu = {f: [math.log(max(x, 1e-9)) for x in v] for f, v in model.u.items()}
        log_lam, log_not = math.log(model.lam), math.log(1 - model.lam)
        m_counts = {f: [0.0] * len(LEVELS[f]) for f in FIELDS}
        matches = 0.0
        for pattern, count in items:
            sm, su = log_lam, log_not
            for f, lv in zip(FIELDS, pattern, strict=True):
                if lv >= 0:
                    sm += lw[f][lv]
                    su += lu[f][lv]
            d = su - sm
            post = 1 / (1 + math.exp(d)) if d < 700 else 0.0
            matches += post * count
            for f, lv in zip(FIELDS, pattern, strict=True):
                if lv >= 0:
                    m_counts[f][lv] += post * count
        if estimate_m:
            for f in FIELDS:
                total = sum(m_counts[f])
                prior = _PRIOR.m[f]
                model.m[f] = [
                    (c + PRIOR_STRENGTH_M * p) / (total + PRIOR_STRENGTH_M)
                    for c, p in zip(m_counts[f], prior, strict=True)
                ]
        model.lam = min(0.5, max(lam_floor, (matches + 0.5) / total_pairs))
    model.fitted = f"{'EM' if estimate_m else 'prior m'} over {n:,} pairs"
    return model


def name_frequencies(profiles: list[mt.Profile]) -> dict[str, dict[str, float]]:
    """How common each surname and given name is among the persons (the share of records
    carrying it), for the term-frequency adjustment: a shared 'smith' says less than a shared
    'pemcott'. Only values seen at least twice are kept (a value seen once agrees with
    nothing)."""
    counts = {"s": Counter(), "g": Counter(), "c": Counter()}
    n = companies = 0
    for p in profiles:
        if not p.person:
            companies += 1
            if p.core:
                counts["c"][p.core.replace(" ", "")] += 1
            continue
        n += 1
        surname, given = p.name_parts
        if surname:
            counts["s"][surname] += 1
        if given:
            counts["g"][given] += 1
    out: dict[str, dict[str, float]] = {}
    floor = 1 / max(n, 1)
    for k, cs in counts.items():
        total = companies if k == "c" else n
        kept = [(v, c) for v, c in cs.most_common(TF_KEEP) if c >= 2]
        if len(kept) == TF_KEEP and k != "c":  # cut: an unlisted name is as rare as the last
            floor = max(floor, kept[-1][1] / n)
        out[k] = {v: c / total for v, c in kept}
    out["n"] = {"": float(n), "c": float(companies)}
    out["floor"] = {"": floor}
    return out


# --- profile fields for persons ---------------------------------------------------------------

_NOT_DIGIT = re.compile(r"\D+")


def date_key(value) -> str:
    """A birth date as YYYYMMDD ('' when there is none): a date, '1984-03-07', '19840307',
    '07/03/1984' (day first)."""
    if not value:
        return ""
    if hasattr(value, "year"):
        return f"{value.year:04d}{value.month:02d}{value.day:02d}"
    text = str(value).strip()
    digits = _NOT_DIGIT.sub("", text)
    parts = [p for p in _NOT_DIGIT.split(text) if p]
    if len(parts) == 3:
        if len(parts[0]) == 4:
            y, mth, d = parts
        elif len(parts[2]) == 4:
            d, mth, y = parts
        else:
            return ""
        return f"{int(y):04d}{int(mth):02d}{int(d):02d}" if y.isdigit() else ""
    if len(digits) == 8:
        return digits
    return ""


def soundex(word: str) -> str:
    """American Soundex of a Latin word (pinyin for Chinese): a blocking key robust to typos."""
    word = "".join(ch for ch in word.lower() if "a" <= ch <= "z")
    if not word:
        return ""
    codes = {
        **dict.fromkeys("bfpv", "1"),
        **dict.fromkeys("cgjkqsxz", "2"),
        **dict.fromkeys("dt", "3"),
        "l": "4",
        **dict.fromkeys("mn", "5"),
        "r": "6",
    }
    out, last = word[0].upper(), codes.get(word[0], "")
    for ch in word[1:]:
        code = codes.get(ch, "")
        if code and code != last:
            out += code
        if ch not in "hw":
            last = code
    return (out + "000")[:4]
