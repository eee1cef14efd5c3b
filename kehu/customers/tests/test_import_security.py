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
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from kehu.core import imports
from kehu.core.actions import check_upload
from kehu.core.models import ImportRun
from kehu.customers.actions import imports as customer_imports
from kehu.customers.models import Customer

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


# Bad input: long cells, NUL bytes, too many rows or columns, zip bombs ----------------------


def _csv(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def _upload(client, data: bytes, name="x.csv", object_type="customers.customer"):
    return client.post(
        "/api/imports/",
        {"object_type": object_type, "file": SimpleUploadedFile(name, data)},
        format="multipart",
    )


@pytest.mark.django_db
def test_a_header_cell_over_128_kb_is_a_400(manager):
    r = _upload(api(manager), _csv([["客户名称", "x" * 140_000], ["甲", "1"]]))
    assert r.status_code == 400 and r.json()["file"], r.content


@pytest.mark.django_db
def test_a_data_cell_over_128_kb_is_a_clear_error_not_a_500(client, manager):
    data = _csv([["客户名称", "备注"], ["甲", "x" * 140_000], ["乙", "y"]])
    c = api(manager)
    r = _upload(c, data)
    assert r.status_code == 201, r.content
    run_id = r.json()["id"]
    r = c.post(f"/api/imports/{run_id}/dry-run/")
    assert r.status_code == 400 and "128" in r.json()["file"][0], r.content
    client.force_login(manager)
    r = client.get(reverse("core:import_map", args=[run_id]))
    assert r.status_code == 200 and "128" in r.content.decode()


@pytest.mark.django_db
def test_nul_bytes_in_cells_are_row_errors_and_in_headers_a_400(manager, cap):
    c = api(manager)
    r = _upload(c, _csv([["客户名称", "城市"], ["甲\x00乙", "上海"], ["好公司", "北京"]]))
    assert r.status_code == 201, r.content
    run_id = r.json()["id"]
    r = c.post(f"/api/imports/{run_id}/dry-run/")
    assert r.status_code == 200, r.content
    assert r.json()["counts"]["created"] == 1 and r.json()["counts"]["error"] == 1
    assert r.json()["problems"][0]["row"] == 2
    with cap(execute=True):
        assert c.post(f"/api/imports/{run_id}/start/").status_code == 202
    run = ImportRun.objects.get(pk=run_id)
    assert (run.created, run.errors) == (1, 1)
    assert report_rows(run)[1][1] == "甲乙"
    r = _upload(c, _csv([["客户\x00名称", "城市"], ["甲", "上海"]]))
    assert r.status_code == 400 and r.json()["file"], r.content


@pytest.mark.django_db
def test_a_nul_byte_in_object_type_is_a_400(manager):
    c = api(manager)
    r = _upload(c, _csv([["客户名称"], ["甲"]]), object_type="customers.\x00customer")
    assert r.status_code == 400, r.content
    r = c.get("/api/imports/", {"object_type": "customers.\x00customer"})
    assert r.status_code == 400, r.content


@pytest.mark.django_db
def test_too_many_columns_is_a_400(manager, settings):
    settings.KEHU_IMPORT_MAX_COLUMNS = 20
    r = _upload(api(manager), _csv([["客户名称", *[f"c{i}" for i in range(25)]], ["甲"]]))
    assert r.status_code == 400 and "20" in r.json()["file"][0], r.content


@pytest.mark.django_db
def test_too_many_rows_fail_the_job_with_a_message(manager, settings, cap):
    settings.KEHU_IMPORT_MAX_ROWS = 10
    run = new_run(manager, _csv([["客户名称"], *[[f"公司{i}"] for i in range(15)]]))
    with translation.override("en"):
        run = run_now(run, cap)
    assert run.status == ImportRun.Status.FAILED
    assert "more than 10 rows" in run.message and "[" not in run.message
    assert run.job.status == "failed" and "more than 10 rows" in run.job.message
    assert not Customer.objects.exists()


def _xlsx(build) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    build(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.django_db
def test_a_workbook_that_unzips_too_large_is_refused_before_reading(manager, settings):
    settings.KEHU_IMPORT_MAX_UNZIPPED_BYTES = 1024 * 1024

    def build(ws):
        ws.append(["客户名称", "备注"])
        for i in range(400):
            ws.append([f"公司{i}", "重复的内容" * 300 + str(i)])

    data = _xlsx(build)
    assert len(data) < 1024 * 1024  # small on disk, large unzipped
    r = _upload(api(manager), data, name="bomb.xlsx")
    assert r.status_code == 400 and "MB" in r.json()["file"][0], r.content
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_millions_of_empty_rows_do_not_tie_up_a_request(manager):
    def build(ws):
        ws.append(["客户名称", "城市"])
        ws.append(["甲公司", "上海"])
        ws.cell(row=1_000_000, column=1, value="远处的公司")

    c = api(manager)
    r = _upload(c, _xlsx(build), name="sparse.xlsx")
    assert r.status_code == 201, r.content
    r = c.post(f"/api/imports/{r.json()['id']}/dry-run/")
    assert r.status_code == 200, r.content
    assert r.json()["truncated"] and r.json()["rows_checked"] == 1


@pytest.mark.django_db
def test_a_huge_sparse_workbook_fails_the_job_on_the_row_limit(manager, cap, settings):
    settings.KEHU_IMPORT_MAX_ROWS = 20_000

    def build(ws):
        ws.append(["客户名称"])
        ws.append(["甲公司"])
        ws.cell(row=500_000, column=1, value="远处的公司")

    run = run_now(new_run(manager, _xlsx(build), name="sparse.xlsx"), cap)
    assert run.status == ImportRun.Status.FAILED and "20,000" in run.message
