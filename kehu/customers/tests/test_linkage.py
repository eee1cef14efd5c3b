"""The Fellegi–Sunter matcher on small person files, and ``kehu dedupe``."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from kehu.customers import dedupe, linkage
from kehu.customers import matching as m

HEADER = "rec_id,given_name,surname,street_number,address_1,suburb,postcode,date_of_birth,entity"
ROWS = [
    "a1,james,smith,12,george street,dubbo,2830,19610307,1",
    "a2,smith,jmaes,12,george st,dubbo,2830,19610307,1",  # swapped, with a typo
    "b1,mary,jones,4,ocean road,perth,6000,19800512,2",
    "b2,mary,kelly,4,ocean rd,perth,6000,19801205,2",  # new surname, day/month swapped
    "c1,john,brown,7,hill place,hobart,7000,19550101,3",
    "c2,john,,7,hill place,hobart,7000,19550110,3",  # surname missing, birth-date typo
    "d1,david,wilson,30,park avenue,cairns,4870,19700202,4",
    "e1,david,wilson,91,bridge road,darwin,0800,19931111,5",  # same name, other person
    "f1,susan,taylor,5,mill lane,geelong,3220,19440606,6",
    "g1,peter,white,8,forest drive,bendigo,3550,19661010,7",
]


def person(**values):
    return m.make_profile(values, kind=m.INDIVIDUAL)


def test_levels_and_explained_weights():
    a = person(given_name="james", surname="smith", date_of_birth="1961-03-07", postcode="2830")
    b = person(given_name="smith", surname="jmaes", date_of_birth="19610703", postcode="2830")
    vector = linkage.compare_vector(a, b)
    assert vector["name"][2] == "swapped" and vector["dob"][2] == "typo"
    score = m.compare(a, b)
    assert score.total >= m.REVIEW_THRESHOLD
    assert set(score.explanation["weights"]) == {"name", "dob", "place"}
    assert all(w > 0 for w in score.explanation["weights"].values())


def test_same_name_other_town_and_birth_date_is_no_match():
    a = person(name="david wilson", date_of_birth="19700202", city="cairns", postcode="4870")
    b = person(name="david wilson", date_of_birth="19931111", city="darwin", postcode="0800")
    score = m.compare(a, b)
    assert score.total < m.REVIEW_THRESHOLD and score.weights["dob"] < 0


def test_dates_and_soundex():
    assert linkage.date_key("07/03/1961") == "19610307" and linkage.date_key("bad") == ""
    assert linkage.soundex("Robert") == linkage.soundex("Rupert") == "R163"


def test_em_fit_keeps_the_levels_ordered_on_a_small_file():
    result = dedupe.run_rows(
        HEADER.split(","), [r.split(",") for r in ROWS], id_column="rec_id", truth="entity"
    )
    assert {(result.ids[i], result.ids[j]) for i, j, _s in result.pairs} == {
        ("a1", "a2"),
        ("b1", "b2"),
        ("c1", "c2"),
    }
    assert result.metrics["f1"] == 1.0 and result.metrics["blocking_recall"] == 1.0
    w = result.model.weights()
    assert w["dob"][0] > w["dob"][1] > 0 > w["dob"][-1]
    assert result.threshold == dedupe.LINK_THRESHOLD == 0.5  # the posterior, not tuned


def _book(extra: list[dict]) -> list[m.Profile]:
    """A small book: many smiths, one pemcott, plus ``extra``."""
    names = [("john", "smith"), ("mary", "smith"), ("peter", "smith"), ("anna", "smith")] * 5
    rows = [
        {"given_name": g, "surname": s, "date_of_birth": f"19{50 + k}0101", "suburb": f"t{k}"}
        for k, (g, s) in enumerate(names)
    ]
    return [person(**r) for r in rows + extra]


def test_common_names_weigh_less_than_rare_ones():
    book = _book(
        [
            {"given_name": "kheryl", "surname": "pemcott", "suburb": "dubbo"},
            {"given_name": "kheryl", "surname": "pemcott", "suburb": "perth"},
        ]
    )
    model = linkage.fit(book, [])
    rare = m.compare(book[-2], book[-1], model).weights["name"]
    common = m.compare(book[0], book[4], model).weights["name"]  # two john smiths
    assert rare > common > 0


def test_sites_of_one_organisation_are_not_one_site_for_their_shared_phone():
    """Companies at other addresses: the head office's switchboard they share is not
    counted (shown as 0); at one address it is."""
    site = {"name": "Chicago Commons St Lucy", "phone": "312 521 1600"}
    a = m.make_profile(site | {"address": "27 Washington Street"}, kind=m.COMPANY)
    elsewhere = m.make_profile(
        site | {"name": "Chicago Commons Guadalupano", "address": "1814 South Paulina Street"},
        kind=m.COMPANY,
    )
    same_site = m.make_profile(site | {"address": "27 Washington St"}, kind=m.COMPANY)
    apart, together = m.compare(a, elsewhere), m.compare(a, same_site)
    assert apart.weights["phone"] == 0.0 and apart.weights["address"] < 0
    assert together.weights["phone"] > 5
    assert apart.total < 0.5 < together.total


def test_replaced_surname_with_same_address_birth_date_and_phone_matches():
    same = {
        "given_name": "mary",
        "street_number": "4",
        "address_1": "ocean road",
        "suburb": "perth",
        "postcode": "6000",
        "date_of_birth": "19800512",
        "phone": "08 9123 4567",
    }
    a, b = person(surname="jones", **same), person(surname="kelly", **same)
    book = _book([{**same, "surname": "jones"}, {**same, "surname": "kelly"}])
    score = m.compare(a, b, linkage.fit(book, []))
    assert score.total >= 0.5 and score.weights["name"] < score.weights["dob"]


def test_family_at_one_address_is_not_one_person():
    """Father and son of one name, or a spouse: another birth date, so the shared address,
    phone and town do not count."""
    home = {"surname": "garby", "address_1": "24 gawler street", "suburb": "glenvale"}
    home |= {"postcode": "2211", "phone": "03 5225 2339"}
    father = person(given_name="richard", date_of_birth="19340324", **home)
    son = person(given_name="richard", date_of_birth="19950310", **home)
    score = m.compare(father, son)
    assert score.total < 0.5
    assert score.weights["address"] == score.weights["phone"] == 0 and score.weights["dob"] < 0


def test_misspelt_name_at_one_address_is_one_person_despite_birth_date():
    """A typo in the name, the same address and town, another birth date: one person whose
    birth date was mistyped (FEBRL's corruption) — a relative does not carry a misspelt copy
    of one's name. A couple's given names (Paul/Paula) stay a household."""
    home = {"street_number": "26", "address_1": "broadbent street", "address_2": "harlyn"}
    home |= {"suburb": "tara", "postcode": "6151", "state": "sa"}
    a = person(given_name="maliah", surname="clarke", date_of_birth="19520331", **home)
    b = person(given_name="maliah", surname="clarkd", date_of_birth="19190118", **home)
    score = m.compare(a, b)
    assert score.total >= 0.5 and score.weights["address"] > 0 and score.weights["dob"] < 0
    paul = person(given_name="paul", surname="garby", date_of_birth="19600101", **home)
    paula = person(given_name="paula", surname="garby", date_of_birth="19630202", **home)
    couple = m.compare(paul, paula)
    assert couple.total < 0.5 and couple.weights["address"] == 0
    assert linkage._gendered_pair("francis", "frances") and linkage._gendered_pair("eric", "erica")
    assert not linkage._gendered_pair("flynn", "flytnn")
    # Chinese siblings share a generation character (字辈): one part differs, still a household
    home = {"address": "北京市海淀区中关村大街5号", "city": "北京", "phone": "010-62345678"}
    older = m.make_profile(
        {"name": "张伟明", "date_of_birth": "1980-01-02", **home}, kind=m.INDIVIDUAL
    )
    younger = m.make_profile(
        {"name": "张伟强", "date_of_birth": "1985-06-07", **home}, kind=m.INDIVIDUAL
    )
    assert m.compare(older, younger).total < 0.5


def test_cli_json(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    out = StringIO()
    call_command("dedupe", str(path), "--id", "rec_id", "--ignore", "entity", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert sorted(sorted(c) for c in data["clusters"]) == [["a1", "a2"], ["b1", "b2"], ["c1", "c2"]]
    pair = data["pairs"][0]
    assert {"a", "b", "score", "fields"} <= set(pair) and "weight" in pair["fields"]["name"]
    out = StringIO()
    call_command("dedupe", str(path), "--id", "rec_id", "--truth", "entity", stdout=out)
    assert "F1 1.0000" in out.getvalue()


def test_cli_recognises_chinese_headers(tmp_path):
    path = tmp_path / "客户.csv"
    path.write_text(
        "编号,姓名,手机,出生日期\n1,张伟明,13800138000,1980-01-02\n2,張偉明,+86 138 0013 8000,"
        "1980-01-02\n3,李娜,13900001111,1990-05-06\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("dedupe", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["clusters"] == [["1", "2"]]
