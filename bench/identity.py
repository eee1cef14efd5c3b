"""Identity resolution on Latin-script person records: a labelled corruption set.

    .venv/bin/python bench/identity.py [--originals 2000] [--duplicates 3000] [--seed 11]
        [--out FILE.csv] [--threshold T]

Writes a CSV of person records (rec_id, given_name, surname, street_number, address_1,
address_2, suburb, postcode, state, date_of_birth, phone, entity) and evaluates it with the
same code as ``kehu dedupe FILE --truth entity`` (precision, recall, F1, blocking recall).

The corruption model follows the published scheme of the data generators used in
record-linkage research (Christen's FEBRL/GeCo generator: originals, then duplicates with a
bounded number of modifications per record and per field, each modification drawn from a
table of kinds) — it was written from that description and from the corruption kinds a real
file shows (the table below), not from the matcher: a duplicate gets 1–3 modifications, each
picked by the rates in ``MODIFICATIONS``. The FEBRL data sets themselves are not used here
(they are the project's held-back acceptance data).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

GIVEN = [
    "james",
    "john",
    "robert",
    "michael",
    "william",
    "david",
    "richard",
    "joseph",
    "thomas",
    "charles",
    "christopher",
    "daniel",
    "matthew",
    "anthony",
    "mark",
    "donald",
    "steven",
    "paul",
    "andrew",
    "joshua",
    "kenneth",
    "kevin",
    "brian",
    "george",
    "timothy",
    "ronald",
    "edward",
    "jason",
    "jeffrey",
    "ryan",
    "jacob",
    "gary",
    "nicholas",
    "eric",
    "jonathan",
    "stephen",
    "larry",
    "justin",
    "scott",
    "brandon",
    "benjamin",
    "samuel",
    "gregory",
    "alexander",
    "frank",
    "patrick",
    "raymond",
    "jack",
    "dennis",
    "jerry",
    "tyler",
    "aaron",
    "jose",
    "adam",
    "nathan",
    "henry",
    "douglas",
    "zachary",
    "peter",
    "kyle",
    "ethan",
    "walter",
    "noah",
    "jeremy",
    "christian",
    "keith",
    "roger",
    "terry",
    "gerald",
    "harold",
    "sean",
    "austin",
    "carl",
    "arthur",
    "lawrence",
    "dylan",
    "jesse",
    "jordan",
    "bryan",
    "billy",
    "joe",
    "bruce",
    "gabriel",
    "logan",
    "albert",
    "willie",
    "alan",
    "juan",
    "wayne",
    "elijah",
    "randy",
    "roy",
    "vincent",
    "ralph",
    "eugene",
    "russell",
    "bobby",
    "mason",
    "philip",
    "louis",
    "mary",
    "patricia",
    "jennifer",
    "linda",
    "elizabeth",
    "barbara",
    "susan",
    "jessica",
    "sarah",
    "karen",
    "lisa",
    "nancy",
    "betty",
    "margaret",
    "sandra",
    "ashley",
    "kimberly",
    "emily",
    "donna",
    "michelle",
    "carol",
    "amanda",
    "dorothy",
    "melissa",
    "deborah",
    "stephanie",
    "rebecca",
    "sharon",
    "laura",
    "cynthia",
    "kathleen",
    "amy",
    "angela",
    "shirley",
    "anna",
    "brenda",
    "pamela",
    "emma",
    "nicole",
    "helen",
    "samantha",
    "katherine",
    "christine",
    "debra",
    "rachel",
    "carolyn",
    "janet",
    "catherine",
    "maria",
    "heather",
    "diane",
    "ruth",
    "julie",
    "olivia",
    "joyce",
    "virginia",
    "victoria",
    "kelly",
    "lauren",
    "christina",
    "joan",
    "evelyn",
    "judith",
    "megan",
    "andrea",
    "cheryl",
    "hannah",
    "jacqueline",
    "martha",
    "gloria",
    "teresa",
    "ann",
    "sara",
    "madison",
    "frances",
    "kathryn",
    "janice",
    "jean",
    "abigail",
    "alice",
    "judy",
    "sophia",
    "grace",
    "denise",
    "amber",
    "doris",
    "marilyn",
    "danielle",
    "beverly",
    "isabella",
    "theresa",
    "diana",
    "natalie",
    "brittany",
    "charlotte",
    "marie",
    "kayla",
    "alexis",
    "lori",
    "chloe",
    "jade",
    "lachlan",
    "jaxon",
    "riley",
    "zoe",
    "ella",
    "mia",
    "ruby",
    "harrison",
    "cooper",
    "hayden",
    "bailey",
    "jasmine",
    "tahlia",
]
SURNAMES = [
    "smith",
    "jones",
    "williams",
    "brown",
    "wilson",
    "taylor",
    "johnson",
    "white",
    "martin",
    "anderson",
    "thompson",
    "nguyen",
    "thomas",
    "walker",
    "harris",
    "lee",
    "ryan",
    "robinson",
    "kelly",
    "king",
    "davis",
    "wright",
    "evans",
    "roberts",
    "green",
    "hall",
    "wood",
    "jackson",
    "clarke",
    "patel",
    "khan",
    "lewis",
    "james",
    "phillips",
    "mitchell",
    "turner",
    "campbell",
    "moore",
    "parker",
    "scott",
    "cooper",
    "murphy",
    "edwards",
    "stewart",
    "morris",
    "young",
    "watson",
    "allen",
    "bennett",
    "hughes",
    "collins",
    "ward",
    "baker",
    "carter",
    "bell",
    "cook",
    "morgan",
    "price",
    "kennedy",
    "murray",
    "bailey",
    "hill",
    "adams",
    "grant",
    "jenkins",
    "russell",
    "graham",
    "reid",
    "shaw",
    "mills",
    "fraser",
    "cox",
    "matthews",
    "ross",
    "marshall",
    "ellis",
    "chapman",
    "hunt",
    "stevens",
    "webb",
    "simpson",
    "richards",
    "lloyd",
    "harrison",
    "barnes",
    "dixon",
    "hamilton",
    "gray",
    "knight",
    "butler",
    "miller",
    "davies",
    "lynch",
    "brennan",
    "obrien",
    "sullivan",
    "byrne",
    "burke",
    "doyle",
    "mccarthy",
    "oconnor",
    "ferguson",
    "hudson",
    "wallace",
    "gibson",
    "black",
    "henderson",
    "duncan",
    "sutherland",
    "macdonald",
    "fisher",
    "schmidt",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "hoffman",
    "schulz",
    "koch",
    "richter",
    "klein",
    "wolf",
    "neumann",
    "schwarz",
    "zimmermann",
    "braun",
    "kruger",
    "hartmann",
    "lange",
    "werner",
    "krause",
    "lehmann",
    "kaiser",
    "fuchs",
    "peters",
    "scholz",
    "mahoney",
    "dawson",
    "holmes",
    "palmer",
    "warren",
    "crawford",
    "dunn",
    "fox",
    "rose",
    "ford",
    "gordon",
    "wells",
    "tran",
    "le",
    "pham",
    "vu",
    "dang",
    "bui",
    "do",
    "ho",
    "ngo",
    "duong",
    "ly",
    "chen",
    "wang",
    "zhang",
    "liu",
    "yang",
    "huang",
    "zhao",
    "wu",
    "zhou",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
    "lin",
    "luo",
    "zheng",
    "liang",
    "rossi",
    "russo",
    "ferrari",
    "esposito",
    "bianchi",
    "romano",
    "colombo",
    "ricci",
    "marino",
    "greco",
    "bruno",
    "gallo",
    "conti",
    "costa",
    "giordano",
    "mancini",
    "rizzo",
    "lombardi",
    "papadopoulos",
    "georgiou",
    "nikolaidis",
    "singh",
    "kaur",
    "sharma",
    "gupta",
    "kumar",
    "silva",
    "santos",
    "pereira",
]
STREETS = [
    "george",
    "victoria",
    "elizabeth",
    "william",
    "king",
    "queen",
    "church",
    "high",
    "park",
    "station",
    "railway",
    "albert",
    "bridge",
    "mill",
    "hill",
    "main",
    "river",
    "beach",
    "ocean",
    "forest",
    "wattle",
    "acacia",
    "banksia",
    "kurrajong",
    "jacaranda",
    "bottlebrush",
    "eucalyptus",
    "grevillea",
    "warrego",
    "murray",
    "darling",
    "hume",
    "barton",
    "deakin",
    "lyons",
    "curtin",
    "chifley",
    "menzies",
    "holt",
    "gorton",
    "whitlam",
    "fraser",
    "hawke",
    "keating",
    "howard",
    "macquarie",
    "bligh",
    "hunter",
    "phillip",
    "bourke",
    "gipps",
    "fitzroy",
    "denison",
    "darling",
    "young",
    "onslow",
    "lachlan",
    "cunningham",
    "sturt",
    "leichhardt",
    "kennedy",
    "burke",
    "wills",
    "flinders",
    "bass",
    "cook",
    "banks",
    "solander",
    "tasman",
    "dampier",
    "hartog",
    "vancouver",
    "carrington",
    "kingsford",
    "smith",
    "hinkler",
    "wakefield",
    "torrens",
    "grey",
    "hindmarsh",
    "gawler",
    "jervois",
    "kintore",
    "musgrave",
    "tennyson",
    "bruce",
    "dudley",
    "stonehaven",
    "forster",
    "novar",
]
STREET_TYPES = ["street", "road", "avenue", "place", "crescent", "close", "drive", "court"]
BUILDINGS = ["", "", "", "", "", "unit", "flat", "villa", "apartment"]
PLACES = [
    ("sydney", "2000", "nsw"),
    ("parramatta", "2150", "nsw"),
    ("newcastle", "2300", "nsw"),
    ("wollongong", "2500", "nsw"),
    ("dubbo", "2830", "nsw"),
    ("bathurst", "2795", "nsw"),
    ("albury", "2640", "nsw"),
    ("penrith", "2750", "nsw"),
    ("canberra", "2600", "act"),
    ("belconnen", "2617", "act"),
    ("tuggeranong", "2900", "act"),
    ("melbourne", "3000", "vic"),
    ("geelong", "3220", "vic"),
    ("ballarat", "3350", "vic"),
    ("bendigo", "3550", "vic"),
    ("frankston", "3199", "vic"),
    ("brisbane", "4000", "qld"),
    ("toowoomba", "4350", "qld"),
    ("cairns", "4870", "qld"),
    ("townsville", "4810", "qld"),
    ("ipswich", "4305", "qld"),
    ("adelaide", "5000", "sa"),
    ("mount gambier", "5290", "sa"),
    ("perth", "6000", "wa"),
    ("fremantle", "6160", "wa"),
    ("bunbury", "6230", "wa"),
    ("hobart", "7000", "tas"),
    ("launceston", "7250", "tas"),
    ("darwin", "0800", "nt"),
    ("alice springs", "0870", "nt"),
]
PLACES += [
    (f"{name} {suffix}", f"{int(code) + k:04d}", state)
    for k, (name, code, state) in enumerate(PLACES[:20], start=1)
    for suffix in ("east", "west")
]
#: Smaller towns: a few hundred more (real files have thousands of suburbs; with 70 towns
#: a shared town would say almost nothing).
_TOWN_A = ["glen", "mount", "port", "lake", "spring", "green", "north", "west", "oak", "river"]
_TOWN_B = ["wood", "field", "dale", "vale", "ridge", "haven", "ford", "brook", "hill", "bank"]
PLACES += [
    (f"{a}{b}", f"{2100 + 37 * k % 5800:04d}", ("nsw", "vic", "qld", "sa", "wa", "tas")[k % 6])
    for k, (a, b) in enumerate((a, b) for a in _TOWN_A for b in _TOWN_B)
]
_SYL_A = ["ber", "cal", "dun", "fen", "gar", "hol", "kir", "lan", "mor", "nor", "pem", "ros"]
_SYL_B = ["ton", "ley", "by", "ford", "well", "man", "ridge", "dale", "stead", "wick", "cott"]
#: A tail of rare surnames: in real files most people do not carry a top-200 surname.
RARE_SURNAMES = [a + b for a in _SYL_A for b in _SYL_B]
#: Modification kinds and their relative rates (per modification of a duplicate).
MODIFICATIONS = {
    "typo_given": 8,
    "typo_surname": 8,
    "replace_given": 6,  # a nickname, or another name altogether
    "replace_surname": 6,  # marriage, a mis-keyed record
    "missing_given": 3,
    "missing_surname": 2,
    "swap_names": 3,  # given and surname swapped, sometimes with a typo too
    "dob_typo": 6,  # a digit, two digits swapped, day and month swapped
    "dob_missing": 3,
    "address_variant": 6,  # street type abbreviated, second line dropped or moved, typo
    "street_number": 3,
    "suburb_typo": 3,
    "postcode_typo": 3,
    "phone_typo": 3,
    "phone_missing": 4,
    "moved": 2,  # a new address altogether (suburb, postcode, street)
    "phonetic_given": 3,  # ph → f, c → k, y → i, a double letter single …
    "phonetic_surname": 3,
    "ocr": 2,  # o → 0, l → 1, rn → m in a name or the address
    "truncate": 2,  # a name cut short
}
#: How many modifications a duplicate gets (1 … 5, fewer more often): "up to several".
MODS_PER_DUPLICATE = {1: 30, 2: 25, 3: 20, 4: 15, 5: 10}
#: Duplicates per original that has any (1 … 5, Zipf-like): clusters of up to six records,
#: whose duplicate–duplicate pairs carry both records' corruptions.
DUPS_PER_ORIGINAL = {1: 48, 2: 24, 3: 14, 4: 8, 5: 6}
PHONETIC = [
    ("ph", "f"),
    ("f", "ph"),
    ("c", "k"),
    ("k", "c"),
    ("y", "i"),
    ("i", "y"),
    ("ie", "y"),
    ("ll", "l"),
    ("tt", "t"),
    ("nn", "n"),
    ("ss", "s"),
    ("ou", "ow"),
    ("ae", "e"),
    ("th", "t"),
    ("ck", "k"),
    ("ey", "y"),
]
OCR = [("o", "0"), ("l", "1"), ("m", "rn"), ("rn", "m"), ("e", "c"), ("i", "l"), ("s", "5")]
NICKS = {
    "william": "bill",
    "robert": "bob",
    "richard": "rick",
    "james": "jim",
    "michael": "mike",
    "thomas": "tom",
    "elizabeth": "liz",
    "katherine": "kate",
    "margaret": "maggie",
    "christopher": "chris",
    "jennifer": "jenny",
    "joseph": "joe",
    "daniel": "dan",
    "samantha": "sam",
    "alexander": "alex",
    "rebecca": "becky",
}
KEYBOARD = {
    c: n
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i, c in enumerate(row)
    for n in [row[max(0, i - 1) : i] + row[i + 1 : i + 2]]
}


class Generator:
    def __init__(
        self,
        seed: int,
        *,
        max_mods: int = 5,
        max_dups: int = 5,
        namesakes: float = 0.05,
        households: float = 0.02,
        rare: float = 0.3,
    ):
        self.r = random.Random(seed)
        self.max_mods, self.max_dups = max_mods, max_dups
        self.namesakes, self.households, self.rare = namesakes, households, rare
        self.place_w = [1 / (k + 1) ** 0.5 for k in range(len(PLACES))]
        # Zipf-like frequencies: common names are common (many distinct people share them)
        self.gw = [1 / (k + 1) ** 0.8 for k in range(len(GIVEN))]
        self.sw = [1 / (k + 1) ** 0.9 for k in range(len(SURNAMES))]

    def given(self) -> str:
        return self.r.choices(GIVEN, self.gw)[0]

    def surname(self) -> str:
        if self.r.random() < self.rare:
            return self.r.choice(RARE_SURNAMES)
        return self.r.choices(SURNAMES, self.sw)[0]

    def address(self) -> dict:
        r = self.r
        place = r.choices(PLACES, self.place_w)[0]
        building = r.choice(BUILDINGS)
        return {
            "street_number": str(r.choice([r.randrange(1, 40), r.randrange(1, 400)])),
            "address_1": f"{r.choice(STREETS)} {r.choice(STREET_TYPES)}",
            "address_2": f"{building} {r.randrange(1, 30)}" if building else "",
            "suburb": place[0],
            "postcode": place[1],
            "state": place[2],
        }

    def original(self) -> dict:
        r = self.r
        d = r.randrange(1920, 2005), r.randrange(1, 13), r.randrange(1, 29)
        rec = {"given_name": self.given(), "surname": self.surname(), **self.address()}
        rec["date_of_birth"] = f"{d[0]:04d}{d[1]:02d}{d[2]:02d}" if r.random() < 0.9 else ""
        rec["phone"] = (
            f"0{r.choice('2378')} {r.randrange(1000, 9999)} {r.randrange(1000, 9999)}"
            if r.random() < 0.8
            else ""
        )
        for k, rate in (  # some values are missing in the originals too
            ("given_name", 0.02),
            ("surname", 0.01),
            ("address_1", 0.03),
            ("suburb", 0.03),
            ("postcode", 0.02),
            ("street_number", 0.05),
            ("state", 0.05),
        ):
            if r.random() < rate:
                rec[k] = ""
        return rec

    def replace_pairs(self, s: str, table: list[tuple[str, str]]) -> str:
        options = [(a, b) for a, b in table if a in s]
        if not options:
            return self.typo(s)
        a, b = self.r.choice(options)
        k = self.r.choice([m.start() for m in re.finditer(re.escape(a), s)])
        return s[:k] + b + s[k + len(a) :]

    def typo(self, s: str) -> str:
        r = self.r
        if not s:
            return s
        k = r.randrange(len(s))
        kind = r.choice(("sub", "ins", "del", "swap", "key"))
        letters = "abcdefghijklmnopqrstuvwxyz"
        if kind == "sub":
            return s[:k] + r.choice(letters) + s[k + 1 :]
        if kind == "ins":
            return s[:k] + r.choice(letters) + s[k:]
        if kind == "del" and len(s) > 2:
            return s[:k] + s[k + 1 :]
        if kind == "swap" and k < len(s) - 1:
            return s[:k] + s[k + 1] + s[k] + s[k + 2 :]
        near = KEYBOARD.get(s[k], "")
        return s[:k] + (r.choice(near) if near else s[k]) + s[k + 1 :]

    def digit_typo(self, s: str) -> str:
        r = self.r
        pos = [k for k, c in enumerate(s) if c.isdigit()]
        if not pos:
            return s
        k = r.choice(pos)
        if r.random() < 0.5 and k + 1 < len(s) and s[k + 1].isdigit():
            return s[:k] + s[k + 1] + s[k] + s[k + 2 :]
        return s[:k] + str(r.randrange(10)) + s[k + 1 :]

    def modify(self, rec: dict, kind: str) -> None:
        r = self.r
        if kind == "typo_given":
            rec["given_name"] = self.typo(rec["given_name"])
        elif kind == "typo_surname":
            rec["surname"] = self.typo(rec["surname"])
        elif kind == "replace_given":
            g = rec["given_name"]
            rec["given_name"] = NICKS.get(g) if g in NICKS and r.random() < 0.5 else self.given()
        elif kind == "replace_surname":
            rec["surname"] = self.surname()
        elif kind == "missing_given":
            rec["given_name"] = ""
        elif kind == "missing_surname":
            rec["surname"] = ""
        elif kind == "swap_names":
            rec["given_name"], rec["surname"] = rec["surname"], rec["given_name"]
            if r.random() < 0.5:
                key = r.choice(("given_name", "surname"))
                rec[key] = self.typo(rec[key])
        elif kind == "dob_typo" and rec["date_of_birth"]:
            d = rec["date_of_birth"]
            if r.random() < 0.3 and int(d[6:8]) <= 12:
                rec["date_of_birth"] = d[:4] + d[6:8] + d[4:6]
            else:
                rec["date_of_birth"] = self.digit_typo(d)
        elif kind == "dob_missing":
            rec["date_of_birth"] = ""
        elif kind == "address_variant":
            choice = r.randrange(4)
            if choice == 0:
                words = rec["address_1"].split()
                abbreviations = {"street": "st", "road": "rd", "avenue": "ave", "place": "pl"}
                rec["address_1"] = " ".join(abbreviations.get(w, w) for w in words)
            elif choice == 1:
                rec["address_2"] = ""
            elif choice == 2:
                rec["address_1"], rec["address_2"] = rec["address_2"], rec["address_1"]
            else:
                rec["address_1"] = self.typo(rec["address_1"])
        elif kind == "street_number":
            rec["street_number"] = self.digit_typo(rec["street_number"]) if r.random() < 0.7 else ""
        elif kind == "suburb_typo":
            rec["suburb"] = self.typo(rec["suburb"])
        elif kind == "postcode_typo":
            rec["postcode"] = self.digit_typo(rec["postcode"])
        elif kind == "phone_typo" and rec["phone"]:
            rec["phone"] = self.digit_typo(rec["phone"])
        elif kind == "phone_missing":
            rec["phone"] = ""
        elif kind == "moved":
            rec.update(self.address())
        elif kind in ("phonetic_given", "phonetic_surname"):
            key = "given_name" if kind == "phonetic_given" else "surname"
            rec[key] = self.replace_pairs(rec[key], PHONETIC) if rec[key] else ""
        elif kind == "ocr":
            key = r.choice(("given_name", "surname", "address_1"))
            rec[key] = self.replace_pairs(rec[key], OCR) if rec[key] else ""
        elif kind == "truncate":
            key = r.choice(("given_name", "surname"))
            if len(rec[key]) > 4:
                rec[key] = rec[key][: r.randrange(3, len(rec[key]) - 1)]

    def dataset(self, originals: int, duplicates: int) -> list[dict]:
        r = self.r
        rows = []
        for i in range(originals):
            rec = self.original()
            if rows and r.random() < self.namesakes:
                # another person of the same name in the same town: the false-match case
                # (namesakes are common names: two people of a rare name are rare)
                other = r.choice(rows)
                rec["given_name"] = r.choices(GIVEN[:60], self.gw[:60])[0]
                rec["surname"] = r.choices(SURNAMES[:40], self.sw[:40])[0]
                other["given_name"], other["surname"] = rec["given_name"], rec["surname"]
                for k in ("suburb", "postcode", "state"):
                    rec[k] = other[k]
                rec["corruptions"] = "namesake"
            elif rows and r.random() < self.households:
                # a household: same surname, address and phone, another given name and birth
                other = r.choice(rows)
                for k in ("surname", *self.address(), "phone"):
                    rec[k] = other[k]
                rec["corruptions"] = "household"
            rec["entity"] = i
            rows.append(rec)
        kinds, rates = zip(*MODIFICATIONS.items(), strict=True)
        counts = [n for n in DUPS_PER_ORIGINAL if n <= self.max_dups]
        mods = [n for n in MODS_PER_DUPLICATE if n <= self.max_mods]
        # originals get 1 … max_dups duplicates each (Zipf-like) until the count is reached;
        # every duplicate is made from its original, not from another duplicate
        order = list(range(originals))
        r.shuffle(order)
        made = 0
        for o in order:
            if made >= duplicates:
                break
            n = min(duplicates - made, r.choices(counts, [DUPS_PER_ORIGINAL[c] for c in counts])[0])
            for _ in range(n):
                dup = dict(rows[o])
                k = r.choices(mods, [MODS_PER_DUPLICATE[c] for c in mods])[0]
                applied = r.choices(kinds, rates, k=k)
                for kind in applied:
                    self.modify(dup, kind)
                dup["corruptions"] = " ".join(
                    sorted(set(applied) | {*dup.get("corruptions", "").split()})
                )
                rows.append(dup)
            made += n
        r.shuffle(rows)
        for k, rec in enumerate(rows):
            rec["rec_id"] = f"rec-{k}"
        return rows


COLUMNS = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "phone",
    "entity",
    "corruptions",
]


def by_case(rows: list[dict], result) -> list[tuple[str, int, int]]:
    """Recall per corruption kind: (kind, true pairs found, true pairs) over the pairs where
    either record carries it; plus the false matches' kinds ("namesake", "household")."""
    from collections import defaultdict

    groups = defaultdict(list)
    for k, rec in enumerate(rows):
        groups[rec["entity"]].append(k)
    found, total = defaultdict(int), defaultdict(int)
    for members in groups.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                kinds = set(rows[i].get("corruptions", "").split())
                kinds |= set(rows[j].get("corruptions", "").split())
                hit = result.all_scores.get((min(i, j), max(i, j)), 0.0) >= result.threshold
                for kind in kinds or {"(none)"}:
                    total[kind] += 1
                    found[kind] += hit
    cases = sorted(((k, found[k], total[k]) for k in total), key=lambda t: t[1] / t[2])
    false = defaultdict(int)
    for (i, j), score in result.all_scores.items():
        if score >= result.threshold and rows[i]["entity"] != rows[j]["entity"]:
            tags = {"namesake", "household"} & {
                *rows[i].get("corruptions", "").split(),
                *rows[j].get("corruptions", "").split(),
            }
            false[" ".join(sorted(tags)) or "other"] += 1
    return cases, dict(false)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--originals", type=int, default=2000)
    parser.add_argument("--duplicates", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-mods", type=int, default=5, help="modifications per duplicate")
    parser.add_argument("--max-dups", type=int, default=5, help="duplicates per original")
    parser.add_argument("--namesakes", type=float, default=0.05, help="share of namesakes")
    parser.add_argument("--households", type=float, default=0.02, help="share of households")
    parser.add_argument("--rare", type=float, default=0.3, help="share of rare surnames")
    parser.add_argument("--out", default="/tmp/kehu-identity-bench.csv")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--cases", action="store_true", help="recall by corruption kind")
    args = parser.parse_args()
    gen = Generator(
        args.seed,
        max_mods=args.max_mods,
        max_dups=args.max_dups,
        namesakes=args.namesakes,
        households=args.households,
        rare=args.rare,
    )
    rows = gen.dataset(args.originals, args.duplicates)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    import django

    django.setup()
    from kehu.customers import dedupe

    with open(args.out, encoding="utf-8") as fh:
        result = dedupe.run_file(
            fh,
            id_column="rec_id",
            truth="entity",
            ignore=["corruptions"],
            threshold=args.threshold,
        )
    print(f"file: {args.out} ({len(rows):,} records)")
    for line in dedupe.report_lines(result):
        print(line)
    if args.cases:
        index = {rec["rec_id"]: k for k, rec in enumerate(rows)}
        ordered = [rows[index[i]] for i in result.ids]
        cases, false = by_case(ordered, result)
        for kind, hit, n in cases:
            print(f"  {kind:18} {hit:5,} / {n:5,}  recall {hit / n:.3f}")
        print("false matches by case:", false)


if __name__ == "__main__":
    main()
