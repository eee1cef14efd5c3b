"""Imports under hostile input (issue 10): matching reveals nothing outside the importer's view
scope, database errors are not echoed, oversized or odd files give a clear 4xx or per-job
error (never a 500, never a worker tied up), and web pages are refused even behind a BOM."""

from __future__ import annotations

import csv
import io
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from rest_framework.test import APIClient

from kehu.core import imports
from kehu.core.actions import check_upload
from kehu.customers.actions import imports as customer_imports

from .factories import customer as make_customer
from .test_imports import csv_bytes, new_run, report_rows, run_now

SECRET = "机密名称有限公司"


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


@pytest.fixture
def cap(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def theirs(make_user):
    """A customer of another branch: outside the manager's view scope."""
    other = make_user("sales_manager", "b")
    return make_customer(
        other, 1, number="C00000001", name=SECRET, phone="010-66668888", city="秘密城"
    )


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _texts(outcome: imports.Outcome) -> str:
    rows = [*outcome.preview, *outcome.problems]
    return repr([(r.outcome, r.errors, r.preview) for r in rows])


# Finding 2: matching only among the records the importer may see -----------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["skip", "update", "create"])
def test_a_number_outside_the_view_scope_reveals_nothing(manager, theirs, mode):
    data = csv_bytes([["C00000001", "probe", ""]], header=["客户编号", "客户名称", "电话"])
    run = imports.set_mapping(
        run=new_run(manager, data, mode=mode), mapping=["number", "name", "phone"], mode=mode
    )
    with translation.override("en"):
        outcome = imports.dry_run(run)
    assert outcome.counts["error"] == 1, _texts(outcome)
    text = _texts(outcome)
    assert SECRET not in text and "秘密城" not in text and "66668888" not in text
    assert "may not edit" not in text
    assert "already in use" in outcome.problems[0].errors[0]


@pytest.mark.django_db
def test_a_number_outside_the_view_scope_through_the_api(manager, theirs):
    client = api(manager)
    buf = io.StringIO()
    csv.writer(buf).writerows([["客户编号", "客户名称", "电话"], ["C00000001", "probe", ""]])
    file = SimpleUploadedFile("probe.csv", buf.getvalue().encode())
    for mode in ("skip", "update"):
        r = client.post(
            "/api/imports/",
            {"object_type": "customers.customer", "file": file, "mode": mode},
            format="multipart",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        file.seek(0)
        assert r.status_code == 201, r.content
        r = client.post(f"/api/imports/{r.json()['id']}/dry-run/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert r.status_code == 200, r.content
        assert SECRET not in r.content.decode() and "秘密城" not in r.content.decode()
        assert r.json()["counts"]["error"] == 1
        assert "已被使用" in r.json()["problems"][0]["errors"][0]


@pytest.mark.django_db
def test_a_taken_number_outside_the_scope_is_not_written(manager, theirs, cap):
    data = csv_bytes(
        [["C00000001", "probe", ""], ["", "好客户", ""]], header=["客户编号", "客户名称", "电话"]
    )
    run = run_now(new_run(manager, data, mode="update"), cap)
    assert (run.created, run.updated, run.errors) == (1, 0, 1)
    theirs.refresh_from_db()
    assert theirs.name == SECRET and theirs.version == 1
    assert SECRET not in repr(report_rows(run))


@pytest.mark.django_db
def test_fuzzy_matching_and_parents_stay_inside_the_view_scope(manager, theirs, cap):
    """Same name and phone as an invisible customer: created, not matched; as a parent company
    the invisible customer is "not found"."""
    header = ["客户名称", "电话", "上级公司"]
    rows = [[SECRET, "010 6666 8888", ""], ["子公司甲", "", "C00000001"], ["子公司乙", "", SECRET]]
    run = imports.set_mapping(
        run=new_run(manager, csv_bytes(rows, header=header), mode="update"),
        mapping=["name", "phone", "parent"],
        mode="update",
    )
    outcome = imports.dry_run(run)
    assert outcome.counts["created"] == 2 and outcome.counts["updated"] == 0, _texts(outcome)
    assert outcome.counts["error"] == 1  # only the parent by number: nothing found
    assert "秘密城" not in _texts(outcome)


# Low: the error report does not carry database error text ------------------------------------


@pytest.mark.django_db
def test_database_errors_are_reported_generically_and_logged(manager, cap, monkeypatch, caplog):
    make_customer(manager, 99, number="C00000003")
    run = new_run(manager, csv_bytes([["", "撞号客户"]], header=["客户编号", "客户名称"]))
    imports.set_mapping(run=run, mapping=["number", "name"], mode="skip")
    # every number the series hands out is taken behind its back: the database refuses the row
    monkeypatch.setattr(
        customer_imports, "take_customer_numbers", lambda count, **kw: ["C00000003"] * count
    )
    with caplog.at_level(logging.WARNING, logger="kehu.core.imports"):
        imports.run_import(run)
    run.refresh_from_db()
    assert run.errors == 1
    error = report_rows(run)[1][-1]
    assert "UNIQUE" not in error.upper() and "constraint" not in error.lower()
    assert "number" not in error.lower() or "database" in error.lower()
    assert any(
        "C00000003" in r.getMessage() or "unique" in r.getMessage().lower() for r in caplog.records
    )


# Low: a web page behind a BOM is refused ------------------------------------------------------


@pytest.mark.parametrize(
    "head",
    [b"<html><body>x", b"<!DOCTYPE html><html>", b"<script>alert(1)</script>", b"<svg onload=x>"],
)
@pytest.mark.parametrize("prefix", [b"\xef\xbb\xbf", b"\xef\xbb\xbf \r\n\t ", b"  \n"])
def test_web_pages_behind_a_bom_are_refused(prefix, head):
    for name in ("page.csv", "page.txt"):
        with pytest.raises(ValidationError) as exc:
            check_upload(SimpleUploadedFile(name, prefix + head + b"\n" + b"a,b\n" * 10))
        assert exc.value.code == "invalid"


def test_a_csv_with_a_bom_passes_the_upload_check():
    check_upload(SimpleUploadedFile("ok.csv", "\ufeff客户名称,电话\n甲,1\n".encode()))
