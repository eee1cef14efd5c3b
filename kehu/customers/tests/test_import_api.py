"""Imports through the API (/api/imports/): upload, mapping, dry run, background start, status,
error report; the same permissions as the pages; bad input answers 400 with a clear message."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from kehu.core.models import AuditLog, ImportRun
from kehu.customers.models import Customer

HEADER = ["编号", "客户名称", "电话", "邮箱", "上级公司", "备注列"]
ROWS = [
    ["API001", "接口子公司", "021-55550001", "a@example.com", "接口集团", "x"],
    ["", "坏邮箱公司", "", "not-an-email", "", ""],
    ["API002", "接口集团", "021-55550002", "", "", ""],
]


def csv_file(rows=ROWS, header=HEADER, name="客户.csv") -> SimpleUploadedFile:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return SimpleUploadedFile(name, buf.getvalue().encode("utf-8"))


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def upload(client, **extra):
    data = {"object_type": "customers.customer", "file": csv_file()} | extra
    return client.post("/api/imports/", data, format="multipart")


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


@pytest.mark.django_db
def test_upload_map_dry_run_start_poll_and_error_report(
    manager, django_capture_on_commit_callbacks
):
    client = api(manager)
    importers = client.get("/api/imports/importers/").json()
    customer = next(i for i in importers if i["object_type"] == "customers.customer")
    assert {"name", "parent", "contact_name"} <= {f["name"] for f in customer["fields"]}

    r = upload(client)
    assert r.status_code == 201, r.content
    run = r.json()
    assert run["status"] == "uploaded" and run["headers"] == HEADER
    assert run["mapping"][:3] == ["number", "name", "phone"]  # guessed from the headers
    # the column "备注列" is not guessed; map it by header, keep the rest of the guess
    mapping = dict(zip(HEADER, run["mapping"], strict=True)) | {"备注列": "notes"}
    r = client.post(
        f"/api/imports/{run['id']}/mapping/", {"mapping": mapping, "mode": "update"}, format="json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "mapped" and r.json()["mapping"][5] == "notes"
    assert r.json()["mode"] == "update"

    r = client.post(f"/api/imports/{run['id']}/dry-run/")
    assert r.status_code == 200, r.content
    dry = r.json()
    assert dry["counts"]["created"] == 2 and dry["counts"]["error"] == 1
    assert dry["problems"][0]["row"] == 3 and dry["problems"][0]["errors"]
    assert Customer.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/imports/{run['id']}/start/")
    assert r.status_code == 202, r.content
    r = client.get(f"/api/imports/{run['id']}/")
    done = r.json()
    assert done["status"] == "done", done
    assert (done["created"], done["errors"], done["total_rows"]) == (2, 1, 3)
    assert done["progress"]["percent"] == 100 and done["progress"]["rows_done"] == 3
    child = Customer.objects.get(number="API001")
    assert child.parent.number == "API002" and child.notes == "x"  # parent from a later row
    assert AuditLog.objects.filter(batch=ImportRun.objects.get().batch).count() == 2
    assert done["error_report"].endswith(f"/api/imports/{run['id']}/errors/")
    r = client.get(f"/api/imports/{run['id']}/errors/")
    assert r.status_code == 200
    report = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert report[1][0] == "3" and "坏邮箱公司" in report[1]
    # it ran: no second start, no new mapping
    assert client.post(f"/api/imports/{run['id']}/start/").status_code == 400
    assert client.post(f"/api/imports/{run['id']}/mapping/", {}, format="json").status_code == 400


@pytest.mark.django_db
def test_upload_with_mapping_list_and_start_directly(manager, django_capture_on_commit_callbacks):
    client = api(manager)
    mapping = ["number", "name", "", "", "", ""]
    r = upload(client, mapping=json.dumps(mapping), mode="skip")
    assert r.status_code == 201, r.content
    assert r.json()["mapping"] == mapping and r.json()["status"] == "mapped"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/imports/{r.json()['id']}/start/").status_code == 202
    assert Customer.objects.filter(phone="").count() == 3  # phone and e-mail not imported


@pytest.mark.django_db
def test_others_cannot_see_or_start_my_import(make_user, manager, admin_user):
    run = upload(api(manager)).json()
    other = api(make_user("sales_manager", "a1"))
    for method, path in [
        ("get", ""),
        ("post", "mapping/"),
        ("post", "dry-run/"),
        ("post", "start/"),
        ("get", "errors/"),
    ]:
        r = getattr(other, method)(f"/api/imports/{run['id']}/{path}", format="json")
        assert r.status_code == 404, (path, r.status_code)
    assert other.get("/api/imports/").json()["results"] == []
    assert [r["id"] for r in api(manager).get("/api/imports/").json()["results"]] == [run["id"]]
    # a superuser sees it, but only the uploader starts it
    root = api(admin_user)
    assert root.get(f"/api/imports/{run['id']}/").status_code == 200
    assert root.post(f"/api/imports/{run['id']}/start/").status_code == 403
    assert ImportRun.objects.get().status == ImportRun.Status.UPLOADED


@pytest.mark.django_db
def test_import_permission_is_needed(make_user):
    seller = api(make_user("salesperson", "a1"))
    assert upload(seller).status_code == 403
    assert seller.get("/api/imports/importers/").json() == []
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_bad_input_answers_400_with_the_reason(manager):
    client = api(manager)
    r = upload(client, object_type="customers.nothing")
    assert r.status_code == 400 and "customers.customer" in r.json()["object_type"][0]
    r = upload(client, file=SimpleUploadedFile("x.pdf", b"%PDF"))
    assert r.status_code == 400 and "file" in r.json()
    r = upload(client, mapping=json.dumps(["number", "name", "no_such_field", "", "", ""]))
    assert r.status_code == 400 and "no_such_field" in r.json()["mapping"][0]
    run = upload(client).json()
    url = f"/api/imports/{run['id']}/mapping/"
    cases = [
        ({"不存在的列": "name"}, "不存在的列"),
        (["name"], "6"),  # one entry for six columns
        (["number", "", "", "", "", ""], None),  # the required name has no column
        (["name", "name", "", "", "", ""], None),  # a field twice
    ]
    for mapping, hint in cases:
        r = client.post(url, {"mapping": mapping}, format="json")
        assert r.status_code == 400, mapping
        message = " ".join(r.json()["mapping"])
        assert message and (hint is None or hint in message), message
    r = client.post(url, {"mode": "sometimes"}, format="json")
    assert r.status_code == 400 and "mode" in r.json()
    assert ImportRun.objects.get().status == ImportRun.Status.UPLOADED
    assert Customer.objects.count() == 0
