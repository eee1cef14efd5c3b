"""Import and identity resolution (issue 11): a file of distinct people who share common
names is imported whole in every duplicate mode; only rows the model calls the same record
are skipped / updated / refused as in-file duplicates; uncertain ones are imported and queued
for review; imported rows get their match keys at once, so a second import of the same file
creates nothing (rows of the file and records of the database alike)."""

from __future__ import annotations

import pytest

from kehu.core import imports
from kehu.customers.models import Customer
from kehu.customers.models.matching import DuplicateCandidate, MatchKey

from .factories import customer as make_customer
from .test_imports import csv_bytes, new_run, run_now

pytestmark = pytest.mark.django_db

PEOPLE_HEADER = ["客户名称", "客户类别", "城市", "生日", "电话", "地址"]


def distinct_people() -> list[list[str]]:
    """Twenty-four people under four common names: each differs from every namesake in the
    birth date, the town or the phone (or has nothing but a name and a town)."""
    rows = []
    towns = ("上海", "北京", "广州")
    for n, name in enumerate(("张伟", "王芳", "李娜", "John Smith")):
        for k in range(6):
            town = towns[k % 3]
            birthday = f"19{60 + 7 * n + k}-0{1 + k}-1{k}" if k < 4 else ""
            phone = f"139{n:02d}{k:02d}{n * 7 + k:04d}" if k in (1, 3, 4) else ""
            address = (
                f"{town}市{'人民路' if n % 2 else '中山路'}{10 + 10 * n + k}号" if k == 2 else ""
            )
            rows.append([name, "个人", town, birthday, phone, address])
    return rows


def counts(run) -> tuple[int, int, int, int, int]:
    return run.created, run.updated, run.skipped, run.duplicates, run.errors


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


@pytest.fixture
def cap(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def small_batches(monkeypatch):
    """Rows of one file in several batches: earlier batches are in the database already."""
    monkeypatch.setattr(imports, "BATCH_SIZE", 5)


@pytest.mark.parametrize("mode", ["skip", "update", "create"])
@pytest.mark.parametrize("batches", ["one", "several"])
def test_distinct_people_with_common_names_are_all_imported(
    manager, cap, mode, batches, monkeypatch
):
    if batches == "several":
        monkeypatch.setattr(imports, "BATCH_SIZE", 5)
    # namesakes already in the book: other birth dates and phones
    book = [
        make_customer(manager, 1, name="张伟", kind="individual", city="上海", phone="13811112222"),
        make_customer(
            manager, 2, name="王芳", kind="individual", city="北京", birthday="1955-05-05"
        ),
    ]
    rows = distinct_people()
    run = run_now(new_run(manager, csv_bytes(rows, header=PEOPLE_HEADER), mode=mode), cap)
    assert counts(run) == (len(rows), 0, 0, 0, 0), run.message
    assert Customer.objects.filter(name="张伟").count() == 7
    for old in book:
        before = old.version
        old.refresh_from_db()
        assert old.version == before  # no namesake was "updated" into them


@pytest.mark.parametrize("mode", ["skip", "update"])
def test_a_second_import_of_the_same_file_creates_nothing(manager, cap, mode, small_batches):
    rows = distinct_people()
    data = csv_bytes(rows, header=PEOPLE_HEADER)
    first = run_now(new_run(manager, data, mode=mode), cap)
    assert first.created == len(rows)
    # every imported row has its blocking keys at once (no scan needed)
    ids = set(Customer.objects.values_list("pk", flat=True))
    assert set(MatchKey.objects.filter(kind="customer").values_list("object_id", flat=True)) == ids
    again = run_now(new_run(manager, data, mode=mode), cap)
    assert again.created == 0, again.message
    assert Customer.objects.count() == len(rows)
    if mode == "skip":
        assert again.skipped == len(rows)
    else:
        assert again.updated == len(rows)


def test_the_same_person_twice_in_a_file_is_one_record(manager, cap, small_batches):
    """In-file duplicates by the model, not by exact keys: traditional characters, another
    phone format, the same birth date — in the same batch and in a later one."""
    rows = [
        ["陈晓明", "个人", "杭州", "1984-03-07", "13900001111", ""],
        ["陳曉明", "个人", "杭州", "1984-03-07", "+86 139 0000 1111", ""],  # same batch
        ["刘洋", "个人", "成都", "1990-01-01", "", "成都市武侯区人民南路4段9号"],
        ["其他一", "个人", "", "", "", ""],
        ["其他二", "个人", "", "", "", ""],
        ["陈晓明", "个人", "", "1984-03-07", "139-0000-1111", ""],  # a later batch
        ["劉洋", "个人", "成都", "1990-01-01", "", "成都武侯区人民南路四段9号"],
    ]
    run = run_now(new_run(manager, csv_bytes(rows, header=PEOPLE_HEADER)), cap)
    assert counts(run) == (4, 0, 0, 3, 0), run.message
    assert Customer.objects.filter(name="陈晓明").count() == 1


def test_the_dry_run_finds_the_same_in_file_duplicates(manager, small_batches):
    """The preview writes nothing: earlier batches' rows are compared from memory."""
    rows = [
        ["陈晓明", "个人", "杭州", "1984-03-07", "13900001111", ""],
        ["其他一", "个人", "", "", "", ""],
        ["其他二", "个人", "", "", "", ""],
        ["其他三", "个人", "", "", "", ""],
        ["其他四", "个人", "", "", "", ""],
        ["陳曉明", "个人", "", "1984-03-07", "139-0000-1111", ""],  # a later batch
    ]
    run = new_run(manager, csv_bytes(rows, header=PEOPLE_HEADER))
    outcome = imports.dry_run(imports.set_mapping(run=run, mapping=run.mapping, mode="skip"))
    assert (outcome.counts["created"], outcome.counts["duplicate"]) == (5, 1)
    assert Customer.objects.count() == 0


def test_uncertain_rows_are_imported_and_queued_for_review(manager, cap):
    """Same name and town, nothing else to compare: the model cannot tell. The row is
    imported, and the pair waits in the duplicate queue with its per-field explanation."""
    old = make_customer(
        manager, 1, name="赵磊", kind="individual", city="南京", phone="13700001234"
    )
    rows = [
        ["赵磊", "个人", "南京", "", "", ""],  # vs the book: uncertain
        ["孙丽", "个人", "苏州", "", "", ""],
        ["孙丽", "个人", "苏州", "", "", ""],  # vs the row above: uncertain
    ]
    run = run_now(new_run(manager, csv_bytes(rows, header=PEOPLE_HEADER)), cap)
    assert counts(run) == (3, 0, 0, 0, 0), run.message
    new_zhao = Customer.objects.exclude(pk=old.pk).get(name="赵磊")
    pair = DuplicateCandidate.objects.get(customer_a=old, customer_b=new_zhao)
    assert pair.status == DuplicateCandidate.Status.OPEN
    assert set(pair.explanation["fields"]) >= {"name", "place"}
    assert set(pair.explanation["weights"]) >= {"name", "place"}
    sun = list(Customer.objects.filter(name="孙丽").order_by("pk"))
    assert DuplicateCandidate.objects.filter(customer_a=sun[0], customer_b=sun[1]).exists()


@pytest.mark.parametrize("mode", ["skip", "update", "create"])
def test_a_sure_duplicate_follows_the_mode(manager, cap, mode):
    old = make_customer(
        manager,
        1,
        name="周杰",
        kind="individual",
        city="厦门",
        phone="13600001111",
        birthday="1979-01-18",
    )
    rows = [["周杰", "个人", "厦门", "1979-01-18", "136 0000 1111", "厦门市思明区湖滨南路1号"]]
    run = run_now(new_run(manager, csv_bytes(rows, header=PEOPLE_HEADER), mode=mode), cap)
    old.refresh_from_db()
    if mode == "skip":
        assert counts(run) == (0, 0, 1, 0, 0)
    elif mode == "update":
        assert counts(run) == (0, 1, 0, 0, 0)
        assert old.address == "厦门市思明区湖滨南路1号"
    else:  # created anyway, as asked; the pair is queued so that someone merges it
        assert counts(run) == (1, 0, 0, 0, 0)
        new = Customer.objects.exclude(pk=old.pk).get(name="周杰")
        assert DuplicateCandidate.objects.filter(customer_a=old, customer_b=new).exists()
