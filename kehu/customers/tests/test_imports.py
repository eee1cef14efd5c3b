"""Importing customers and contacts: encodings, mapping, dry run, duplicate modes, broken rows,
nothing half-written, the error report, permissions per role, and the background job."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from kehu.core import imports
from kehu.core.models import AuditLog, BackgroundJob, ImportRun
from kehu.customers.actions import imports as customer_imports
from kehu.customers.models import Contact, Customer

from .factories import customer as make_customer

HEADER = ["客户编号", "客户名称", "电话", "邮箱", "城市", "信用额度", "登记日期", "联系人", "手机"]


def csv_bytes(rows, header=HEADER, encoding="utf-8", delimiter=",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(data: bytes, name: str = "客户.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def new_run(user, data, name="客户.csv", label="customers.customer", mode="skip", **kw):
    return imports.create_run(user=user, label=label, upload=upload(data, name), mode=mode, **kw)


def run_now(run, captured):
    """Map as guessed and run the import as its background job (real task, real database)."""
    imports.set_mapping(run=run, mapping=run.mapping, mode=run.mode)
    with captured(execute=True):
        imports.start_run(run=run)
    run.refresh_from_db()
    return run


def report_rows(run) -> list[list[str]]:
    with run.error_file.open("rb") as fh:
        data = fh.read()
    if run.error_name.endswith(".xlsx"):
        return [list(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].values]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


@pytest.fixture
def cap(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


GOOD = [
    [
        "",
        "北京华为技术有限公司",
        "010-12345678",
        "info@huawei.example",
        "北京",
        "1,000",
        "2024-01-05",
        "张三",
        "13800138000",
    ],
    ["", "上海测试", "021 5555 0001", "", "上海", "", "2024/2/3", "", ""],
]


# Encodings and mapping ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030")],
)
def test_encoding_is_detected_and_headers_mapped(manager, encoding, detected):
    run = new_run(manager, csv_bytes(GOOD, encoding=encoding))
    assert run.encoding == detected
    assert run.headers[1] == "客户名称"
    assert run.mapping[:4] == ["number", "name", "phone", "email"]
    assert run.mapping[7:] == ["contact_name", "contact_mobile"]
    outcome = imports.dry_run(imports.set_mapping(run=run, mapping=run.mapping, mode="skip"))
    assert outcome.counts["created"] == 2
    assert outcome.preview[0].preview["name"] == "北京华为技术有限公司"
    assert outcome.preview[0].preview["mnemonic"] == "BJHWJSYXGS"
    assert Customer.objects.count() == 0  # a dry run writes nothing


@pytest.mark.django_db
def test_semicolon_delimiter_and_english_headers(manager):
    data = csv_bytes(
        [["Acme Ltd", "+86 21 5555 0000", "Shanghai", "A"]],
        header=["Name", "Phone", "City", "Credit rating"],
        delimiter=";",
    )
    run = new_run(manager, data)
    assert run.delimiter == ";"
    assert run.mapping == ["name", "phone", "city", "credit_rating"]


@pytest.mark.django_db
def test_wrong_encoding_chosen_gives_a_clear_message(manager):
    data = csv_bytes(GOOD, encoding="gbk")
    with pytest.raises(imports.ValidationError) as exc:
        new_run(manager, data, encoding="utf-8")
    message = " ".join(exc.value.messages)
    assert "UTF-8" in message and "GBK" in message
    with pytest.raises(imports.ValidationError) as exc:
        new_run(manager, csv_bytes(GOOD), encoding="gb18030")
    assert "似乎是 UTF-8" in " ".join(exc.value.messages)  # the message names the right one
    # when a UTF-8 file happens to decode as GBK, the mapping page warns that it will be garbled
    assert "乱码" in imports.encoding_warning("中文".encode()[:3] * 2, "gb18030")


@pytest.mark.django_db
def test_missing_required_column_is_refused(manager):
    run = new_run(manager, csv_bytes([["010-1"]], header=["电话"]))
    with pytest.raises(imports.ValidationError) as exc:
        imports.set_mapping(run=run, mapping=run.mapping, mode="skip")
    assert "名称" in " ".join(exc.value.messages) or "name" in " ".join(exc.value.messages)


# Broken rows, reports, nothing half-written --------------------------------------------------


BROKEN = [
    ["", "", "010-1234567", "", "", "", "", "", ""],  # no name
    ["", "坏电话", "abc", "", "", "", "", "", ""],  # bad phone
    ["", "坏邮箱", "", "not-an-email", "", "", "", "", ""],
    ["", "坏日期", "", "", "", "", "2024-13-45", "", ""],
    ["", "坏金额", "", "", "", "-5", "", "", ""],
    ["", "坏联系人", "", "", "", "", "", "李四", "12"],  # good customer, bad contact mobile
    ["", '=HYPERLINK("http://x")', "", "bad@", "", "", "", "", ""],  # formula, bad e-mail
]


@pytest.mark.django_db
def test_broken_rows_are_reported_and_good_rows_saved(manager, cap):
    rows = [["", f"好客户{i}", f"021-5555{i:04d}", "", "上海", "", "", "", ""] for i in range(63)]
    for i, bad in enumerate(BROKEN):
        rows.insert(i * 9 + 3, bad)
    run = run_now(new_run(manager, csv_bytes(rows)), cap)
    assert run.status == ImportRun.Status.DONE, run.message
    assert (run.created, run.errors, run.total_rows) == (63, 7, 70)
    assert Customer.objects.count() == 63
    # the customer of the row whose contact is bad was not written either
    assert not Customer.objects.filter(name="坏联系人").exists()
    assert Contact.objects.count() == 0
    report = report_rows(run)
    assert report[0][0] in ("行", "Row") and report[0][-1] in ("错误", "Error")
    by_row = {int(r[0]): r for r in report[1:]}
    assert len(by_row) == 7
    expected_numbers = {i * 9 + 3 + 2 for i in range(7)}
    assert set(by_row) == expected_numbers
    label = {
        n: str(Customer._meta.get_field(n).verbose_name)
        for n in ("name", "phone", "email", "registered_on", "credit_limit")
    }
    expected = ["name", "phone", "email", "registered_on", "credit_limit", None, "email"]
    for i, field in enumerate(expected):
        reason = by_row[i * 9 + 5][-1]
        if field:
            assert reason.startswith(label[field] + ":"), reason
        else:
            assert reason.startswith(customer_imports.ROW_CONTACT_META["mobile"][0] + ":"), reason
    assert "2024-13-45" in by_row[32][-1]
    formula = next(r for r in report[1:] if "HYPERLINK" in r[2])
    assert formula[2].startswith("'=")  # escaped in the report
    # audited with one batch ID
    entries = AuditLog.objects.filter(batch=run.batch)
    assert entries.filter(action="create").count() == 63
    job = BackgroundJob.objects.get(pk=run.job_id)
    assert job.status == BackgroundJob.Status.SUCCEEDED and job.progress == 70


@pytest.mark.django_db
def test_customer_and_contact_both_or_neither(manager, cap):
    rows = [
        ["", "有联系人", "021-55550001", "", "", "", "", "王五", "13900001111"],
        ["", "联系人坏", "021-55550002", "", "", "", "", "", "13900002222"],  # mobile, no name
    ]
    run = run_now(new_run(manager, csv_bytes(rows)), cap)
    assert (run.created, run.errors) == (1, 1)
    contact = Contact.objects.get()
    assert contact.customer.name == "有联系人" and contact.is_primary
    assert contact.owner_id == manager.pk == contact.customer.owner_id
    assert not Customer.objects.filter(name="联系人坏").exists()


@pytest.mark.django_db
def test_database_refusal_fails_only_that_row(manager, cap):
    """A duplicate number that only the database notices (another session took it) rolls back
    the batch, which is then written row by row: one error, the rest saved."""
    rows = [["", f"客户{i}", "", "", "", "", "", "", ""] for i in range(5)]
    run = new_run(manager, csv_bytes(rows))
    imports.set_mapping(run=run, mapping=run.mapping, mode="skip")

    original = customer_imports.take_customer_numbers
    make_customer(manager, 99, number="C00000003")  # taken behind the counter's back
    calls = []

    def racing(count, **kwargs):  # the first block collides, as if another session won a race
        calls.append(count)
        numbers = original(count, **kwargs)
        return ["C00000003", *numbers[1:]] if len(calls) == 1 else numbers

    customer_imports.take_customer_numbers = racing
    try:
        imports.run_import(run)
    finally:
        customer_imports.take_customer_numbers = original
    run.refresh_from_db()
    # the batch was rolled back and written row by row: every row found a free number
    assert (run.created, run.errors) == (5, 0)
    assert Customer.objects.count() == 6
    assert AuditLog.objects.filter(batch=run.batch, action="create").count() == 5


# Duplicates and modes ------------------------------------------------------------------------


@pytest.mark.django_db
def test_in_file_duplicates_are_skipped_and_listed(manager, cap):
    rows = [
        ["", "重复公司", "021-55550001", "", "", "", "", "", ""],
        ["", "重复 公司", "+86 21 5555 0001", "", "", "", "", "", ""],  # same after normalising
        ["X1", "编号重复", "", "", "", "", "", "", ""],
        ["X1", "编号重复二", "", "", "", "", "", "", ""],
    ]
    run = run_now(new_run(manager, csv_bytes(rows)), cap)
    assert (run.created, run.duplicates) == (2, 2)
    report = report_rows(run)
    assert {r[0] for r in report[1:]} == {"3", "5"}
    assert "2" in report[1][-1]


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["skip", "update", "create"])
def test_modes_for_existing_records(manager, cap, mode):
    by_number = make_customer(manager, 1, number="K001", name="旧名", city="杭州")
    by_match = make_customer(manager, 2, number="K002", name="匹配公司", phone="021-55550009")
    rows = [
        ["K001", "新名", "", "", "苏州", "", "", "", ""],
        ["", "匹配公司", "021 5555 0009", "", "南京", "", "", "", ""],
    ]
    run = run_now(new_run(manager, csv_bytes(rows), mode=mode), cap)
    by_number.refresh_from_db()
    by_match.refresh_from_db()
    if mode == "skip":
        assert (run.skipped, run.created, run.updated) == (2, 0, 0)
        assert by_number.name == "旧名"
    elif mode == "update":
        assert run.updated == 2, run.message
        assert (by_number.name, by_number.city, by_match.city) == ("新名", "苏州", "南京")
        assert by_number.version == 2
        diff = AuditLog.objects.get(batch=run.batch, object_id=str(by_number.pk)).changes
        assert diff["city"] == ["杭州", "苏州"]
    else:
        # the number is taken: an error; the name+phone match is created anyway
        assert (run.errors, run.created) == (1, 1)
        assert Customer.objects.filter(name="匹配公司").count() == 2


@pytest.mark.django_db
def test_update_mode_cannot_touch_others_records(make_user, manager, cap):
    other = make_user("sales_manager", "b")
    theirs = make_customer(other, 1, number="T001", name="别人的")
    run = run_now(
        new_run(manager, csv_bytes([["T001", "改名", "", "", "", "", "", "", ""]]), mode="update"),
        cap,
    )
    assert run.errors == 1 and run.updated == 0
    theirs.refresh_from_db()
    assert theirs.name == "别人的"
    assert "T001" in report_rows(run)[1][-1]


@pytest.mark.django_db
def test_owner_column(make_user, manager, cap):
    seller = make_user("salesperson", "a1", username="xiaowang", display_name="小王")
    outsider = make_user("salesperson", "b", username="faraway")
    header = ["客户名称", "负责人"]
    rows = [["给小王", "小王"], ["给外人", "faraway"], ["给自己", ""], ["查无此人", "nobody"]]
    run = run_now(new_run(manager, csv_bytes(rows, header=header)), cap)
    assert (run.created, run.errors) == (2, 2)
    assert Customer.objects.get(name="给小王").owner == seller
    assert Customer.objects.get(name="给自己").owner == manager
    assert not Customer.objects.filter(owner=outsider).exists()


@pytest.mark.django_db
def test_dictionary_fields_take_label_or_code(manager, cap):
    header = ["客户名称", "信用等级", "客户类别"]
    rows = [
        ["甲", "AAA", "公司"],
        ["乙", "AA 信用优良", "个人"],
        ["丙", "aa very GOOD", "company"],
        ["丁", "ZZZ", ""],
    ]
    run = run_now(new_run(manager, csv_bytes(rows, header=header)), cap)
    assert (run.created, run.errors) == (3, 1)
    assert Customer.objects.get(name="乙").credit_rating == "AA"
    assert Customer.objects.get(name="乙").kind == "individual"
    assert "ZZZ" in report_rows(run)[1][-1]


@pytest.mark.django_db
def test_numbers_continue_the_pattern(manager, cap):
    make_customer(manager, 1, number="C00000007")
    run = run_now(
        new_run(
            manager,
            csv_bytes(
                [
                    ["", "新一", "", "", "", "", "", "", ""],
                    ["C00000008", "自带", "", "", "", "", "", "", ""],
                    ["", "新二", "", "", "", "", "", "", ""],
                ]
            ),
        ),
        cap,
    )
    assert run.created == 3
    numbers = set(Customer.objects.values_list("number", flat=True))
    assert numbers == {"C00000007", "C00000008", "C00000009", "C00000010"}


# XLSX ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_xlsx_with_formulas_dates_and_numbers(manager, cap):
    import datetime

    rows = [
        ["", "表格客户", 13800138000, "", "上海", 5000, datetime.datetime(2024, 3, 1), "", ""],
        ["", "=1+2", "abc", "", "", "", "", "", ""],
        ["", "@SUM(A1)", "", "", "", "", "not a date", "", ""],
    ]
    run = run_now(new_run(manager, xlsx_bytes(rows), name="客户.xlsx"), cap)
    assert (run.created, run.errors) == (1, 2), run.message
    c = Customer.objects.get()
    assert (c.phone, str(c.registered_on)) == ("13800138000", "2024-03-01")
    report = report_rows(run)
    assert run.error_name.endswith(".xlsx")
    names = [r[2] for r in report[1:]]
    assert names == ["'=1+2", "'@SUM(A1)"]


# Contacts and vCard --------------------------------------------------------------------------

VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:张;伟;;;\r\nFN:张伟\r\nORG:新公司;采购部\r\n"
    "TITLE:采购经理\r\nTEL;TYPE=CELL:138 0013 8000\r\nTEL;TYPE=WORK,VOICE:010-88886666\r\n"
    "EMAIL;TYPE=INTERNET:zhang@example.com\r\nADR;TYPE=WORK:;;中关村大街1号;北京;;100080;中国\r\n"
    "BDAY:1980-01-15\r\nNOTE:喜欢喝茶\\, 不抽烟\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:John Smith with a very long name that needs folding acr\r\n"
    " oss lines\r\nORG:Acme Ltd\r\nTEL;VALUE=uri;TYPE=cell:tel:+1-555-0100\r\nBDAY:19751231\r\n"
    "END:VCARD\r\n"
)


def gbk_qp_card() -> bytes:
    import quopri

    qp = quopri.encodestring("李娜".encode("gbk")).decode()
    org = quopri.encodestring("广州老客户".encode("gbk")).decode()
    return (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        f"FN;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:{qp}\r\n"
        f"ORG;CHARSET=GBK;ENCODING=QUOTED-PRINTABLE:{org}\r\n"
        "TEL;CELL:13911112222\r\nBDAY:not-a-date\r\nEND:VCARD\r\n"
    ).encode("ascii")


def test_vcard_parsing():
    from kehu.customers.actions.vcard import parse_vcards

    a, b = parse_vcards(VCARD.encode("utf-8"))
    assert a["name"] == "张伟" and a["customer"] == "新公司" and a["work_department"] == "采购部"
    assert a["mobile"] == "138 0013 8000" and a["office_phone"] == "010-88886666"
    assert a["address"] == "中国北京中关村大街1号" and a["notes"] == "喜欢喝茶, 不抽烟"
    assert b["name"].endswith("across lines") and b["mobile"] == "+1-555-0100"
    (c,) = parse_vcards(gbk_qp_card())
    assert (c["name"], c["customer"]) == ("李娜", "广州老客户")


@pytest.mark.django_db
def test_vcard_import_creates_customers_and_round_trips(client, manager, cap):
    old = make_customer(manager, 1, name="广州老客户")
    data = VCARD.encode("utf-8") + gbk_qp_card()
    run = run_now(new_run(manager, data, name="名片.vcf", label="customers.contact"), cap)
    assert (run.created, run.errors) == (2, 1), run.message  # 李娜 has a bad birthday
    zhang = Contact.objects.get(name="张伟")
    assert zhang.customer.name == "新公司" and zhang.customer.owner == manager
    assert zhang.customer.address == "中国北京中关村大街1号"
    assert str(zhang.birthday) == "1980-01-15"
    assert not Contact.objects.filter(customer=old).exists()
    assert Customer.objects.count() == 3  # old + 新公司 + Acme

    client.force_login(manager)
    response = client.get(reverse("customers:contact_list"), {"export": "vcf"})
    assert response.status_code == 200
    exported = b"".join(response.streaming_content)
    assert all(len(line) <= 75 for line in exported.split(b"\r\n"))
    from kehu.customers.actions.vcard import parse_vcards

    cards = {c["name"]: c for c in parse_vcards(exported)}
    assert set(cards) == {
        "张伟",
        "John Smith with a very long name that needs folding across lines",
    }
    assert cards["张伟"]["customer"] == "新公司" and cards["张伟"]["birthday"] == "1980-01-15"
    assert cards["张伟"]["notes"] == "喜欢喝茶, 不抽烟"


@pytest.mark.django_db
def test_contact_csv_to_existing_customer_by_number(manager, cap):
    target = make_customer(manager, 1, number="Z01", name="老客户")
    header = ["客户编号", "姓名", "手机", "性别", "生日"]
    rows = [
        ["Z01", "赵六", "13700001111", "女", "1990年5月6日"],
        ["Z01", "赵六", "137 0000 1111", "", ""],
    ]
    run = run_now(new_run(manager, csv_bytes(rows, header=header), label="customers.contact"), cap)
    assert (run.created, run.duplicates) == (1, 1)
    contact = Contact.objects.get()
    assert (contact.customer, contact.gender, str(contact.birthday)) == (
        target,
        "female",
        "1990-05-06",
    )


@pytest.mark.django_db
def test_contact_import_cannot_add_to_customers_outside_the_edit_scope(
    make_user, roles, manager, cap
):
    from kehu.core.permissions import DataScope
    from kehu.system.actions.roles import set_role_scope

    set_role_scope(
        role=roles["sales_manager"],
        object_type="customers.customer",
        view=DataScope.ALL,
        edit=DataScope.DEPARTMENT,
    )
    other = make_user("sales_manager", "b")
    theirs = make_customer(other, 1, number="O01", name="外部客户")
    rows = [["O01", "钱七", "13700002222", "", ""], ["外部客户", "孙八", "13700003333", "", ""]]
    header = ["客户", "姓名", "手机", "性别", "生日"]
    run = run_now(new_run(manager, csv_bytes(rows, header=header), label="customers.contact"), cap)
    assert (run.created, run.errors) == (0, 2)
    assert not theirs.contacts.exists() and Customer.objects.count() == 1
    assert "外部客户" in report_rows(run)[1][-1]


# Permissions and pages -----------------------------------------------------------------------


@pytest.mark.django_db
def test_import_pages_need_the_import_permission(client, make_user, manager):
    seller = make_user("salesperson", "a1")
    client.force_login(seller)
    url = reverse("core:import_start", args=["customers.customer"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"file": upload(csv_bytes(GOOD)), "mode": "skip"}).status_code == 403
    assert not ImportRun.objects.exists()
    # the list page offers the button only to those who may import
    assert b"data-import" not in client.get(reverse("customers:customer_list")).content
    client.force_login(manager)
    assert b"data-import" in client.get(reverse("customers:customer_list")).content
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_another_users_import_is_not_reachable(client, make_user, manager):
    run = new_run(manager, csv_bytes(GOOD))
    other = make_user("sales_manager", "a1")
    client.force_login(other)
    for name in (
        "core:import_map",
        "core:import_preview",
        "core:import_result",
        "core:import_errors",
    ):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404


@pytest.mark.django_db
def test_the_whole_flow_through_the_pages(client, manager, cap):
    client.force_login(manager)
    rows = [*GOOD, ["", "", "x", "", "", "", "", "", ""]]
    response = client.post(
        reverse("core:import_start", args=["customers.customer"]),
        {"file": upload(csv_bytes(rows, encoding="gbk")), "mode": "skip", "encoding": ""},
    )
    assert response.status_code == 302
    run = ImportRun.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200 and "客户名称" in page.content.decode()
    # HTMX re-read in another encoding
    page = client.post(reverse("core:import_reread", args=[run.pk]), {"encoding": "utf-8"})
    assert "data-read-error" in page.content.decode()
    client.post(reverse("core:import_reread", args=[run.pk]), {"encoding": "gb18030"})
    data = {f"col{i}": m for i, m in enumerate(run.mapping)} | {
        "mode": "skip",
        "encoding": "gb18030",
        "delimiter": ",",
    }
    response = client.post(reverse("core:import_map", args=[run.pk]), data)
    assert response.status_code == 302
    preview = client.get(response["Location"])
    text = preview.content.decode()
    assert (
        preview.status_code == 200
        and "北京华为技术有限公司" in text
        and 'data-outcome="error"' in text
    )
    with cap(execute=True):
        response = client.post(reverse("core:import_preview", args=[run.pk]))
    assert response.status_code == 302
    result = client.get(response["Location"])
    assert result.status_code == 200 and 'data-status="done"' in result.content.decode()
    report = client.get(reverse("core:import_errors", args=[run.pk]))
    content = b"".join(report.streaming_content).decode("utf-8-sig")
    assert "4" in content.splitlines()[1].split(",")[0]
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_vcard_export_respects_scope_and_permission(client, make_user, manager):
    from .factories import contact as make_contact

    mine = make_contact(manager, 1, name="我的联系人")
    other = make_user("sales_manager", "b")
    make_contact(other, 2, name="别人的联系人")
    client.force_login(manager)
    response = client.get(reverse("customers:contact_list"), {"export": "vcf"})
    body = b"".join(response.streaming_content).decode()
    assert mine.name in body and "别人的联系人" not in body
    assert response["Content-Type"].startswith("text/vcard")
    seller = make_user("salesperson", "a1")
    client.force_login(seller)
    assert client.get(reverse("customers:contact_list"), {"export": "vcf"}).status_code == 403


def test_fast_mnemonic_equals_the_plain_pinyin_rule():
    from pypinyin import Style, lazy_pinyin

    from kehu.customers.actions.customer import mnemonic_for

    def plain(name: str) -> str:  # pypinyin on the whole name, no caching
        initials = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
        return "".join(ch for ch in "".join(initials) if ch.isalnum()).upper()[:50]

    names = [
        "北京华为技术有限公司",
        "重庆银行",
        "长沙长城",
        "银行行长",
        "朝阳区朝阳门",
        "乐乐音乐",
        "ABC公司 12",
        "〇一二",
        "㐀㐁abc",
        "x,y;z",
        "的士",
        "覃先生",
        "曾经曾先生",
        "",
        "Acme Ltd.",
        "上海浦东发展银行股份有限公司" * 3,
        "华为(北京)",
        "中国石油化工股份有限公司重庆分公司",
    ]
    for name in names:
        assert mnemonic_for(name) == plain(name), name


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("administrator", True),
        ("director", False),
        ("branch_manager", True),
        ("sales_manager", True),
        ("salesperson", False),
        ("service_agent", False),
    ],
)
def test_import_permission_per_role(client, make_user, role, allowed):
    user = make_user(role, "a1")
    client.force_login(user)
    for label in ("customers.customer", "customers.contact"):
        url = reverse("core:import_start", args=[label])
        assert client.get(url).status_code == (200 if allowed else 403)
        response = client.post(url, {"file": upload(csv_bytes(GOOD)), "mode": "skip"})
        assert response.status_code == (302 if allowed else 403)
    assert ImportRun.objects.filter(user=user).count() == (2 if allowed else 0)


@pytest.mark.django_db
def test_identity_resolution_places_variant_names_and_phones(manager, cap):
    """A trade-show row spelling a known customer differently is found by the scored matcher."""
    make_customer(manager, 1, number="HW01", name="北京华为技术有限公司", phone="010-12345678")
    rows = [
        ["", "华为技术(北京)", "+86 10 1234 5678", "", "北京", "", "", "", ""],
        ["", "杭州全新公司", "0571-88880000", "", "杭州", "", "", "", ""],
    ]
    run = run_now(new_run(manager, csv_bytes(rows), mode="skip"), cap)
    assert (run.skipped, run.created) == (1, 1), run.message
    assert Customer.objects.count() == 2
    assert not Customer.objects.filter(name="华为技术(北京)").exists()


# Parent companies: existing customers and rows of the same file, also later ones -------------

PARENT_HEADER = ["客户编号", "客户名称", "电话", "上级公司", "联系人"]


def parent_run(user, rows, cap, mode="skip"):
    run = new_run(user, csv_bytes(rows, header=PARENT_HEADER), mode=mode)
    assert run.mapping == ["number", "name", "phone", "parent", "contact_name"]
    return run_now(run, cap)


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [1000, 2])
def test_parent_later_in_the_file_is_resolved(manager, cap, monkeypatch, batch_size):
    monkeypatch.setattr(imports, "BATCH_SIZE", batch_size)  # also across batches
    existing = make_customer(manager, number="E001", name="已有集团")
    rows = [
        ["N010", "孙公司", "", "子公司甲", "孙经理"],  # parent by name, two rows later
        ["", "分公司乙", "", "E001", ""],  # existing parent by number
        ["N020", "子公司甲", "", "N030", ""],  # parent by number, one row later
        ["", "分公司丙", "", "已有集团", ""],  # existing parent by exact name
        ["N030", "总公司", "", "", ""],
    ]
    run = parent_run(manager, rows, cap)
    assert (run.created, run.errors, run.total_rows) == (5, 0, 5), run.message
    parent_of = {c.name: c.parent for c in Customer.objects.select_related("parent")}
    assert parent_of["孙公司"].name == "子公司甲"
    assert parent_of["子公司甲"].name == "总公司"
    assert parent_of["分公司乙"] == existing and parent_of["分公司丙"] == existing
    assert parent_of["总公司"] is None
    assert Contact.objects.get(name="孙经理").customer.name == "孙公司"
    assert AuditLog.objects.filter(batch=run.batch, action="create").count() == 6


@pytest.mark.django_db
def test_dry_run_resolves_later_parents(manager):
    rows = [["", "子公司", "", "总公司", ""], ["", "总公司", "", "", ""]]
    run = new_run(manager, csv_bytes(rows, header=PARENT_HEADER))
    outcome = imports.dry_run(imports.set_mapping(run=run, mapping=run.mapping, mode="skip"))
    assert outcome.counts["created"] == 2 and outcome.counts["error"] == 0
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_missing_parent_and_cycles_are_row_errors(make_user, manager, cap):
    other = make_user("salesperson", "b")
    make_customer(other, number="HIDDEN1", name="别人的集团")  # not visible to the importer
    rows = [
        ["", "好公司", "", "", ""],
        ["", "孤儿公司", "", "不存在的集团", "王五"],  # row 3: no such parent
        ["", "看不见", "", "HIDDEN1", ""],  # row 4: not visible
        ["C1", "环甲", "", "C2", ""],  # rows 5 and 6 name each other
        ["C2", "环乙", "", "C1", ""],
        ["C3", "自己", "", "C3", ""],  # row 7: itself
        ["", "环下", "", "环甲", ""],  # row 8: its parent's row fails
    ]
    run = parent_run(manager, rows, cap)
    assert (run.created, run.errors, run.total_rows) == (1, 6, 7), run.message
    assert list(Customer.objects.filter(owner=manager).values_list("name", flat=True)) == ["好公司"]
    assert not Contact.objects.exists()  # nothing half-written
    reasons = {int(r[0]): r[-1] for r in report_rows(run)[1:]}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "不存在的集团" in reasons[3] and "HIDDEN1" in reasons[4]
    assert "5, 6" in reasons[5] and "5, 6" in reasons[6]
    assert reasons[7] not in (reasons[3], reasons[5]) and "5" in reasons[8]
    assert len(set(reasons.values())) == 5  # not-found, cycle x2 (same), itself, parent failed


@pytest.mark.django_db
def test_update_mode_refuses_a_parent_cycle_with_existing_customers(manager, cap):
    a = make_customer(manager, number="A1", name="甲")
    b = make_customer(manager, number="B1", name="乙", parent=a)
    rows = [["A1", "甲", "", "B1", ""], ["B1", "乙", "", "", ""]]
    run = parent_run(manager, rows, cap, mode="update")
    assert (run.updated, run.errors) == (1, 1), run.message
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.parent_id is None and b.parent_id == a.pk


def test_imports_write_through_the_object_types_actions(manager, cap, monkeypatch):
    """One save path (issue 9 §3): an import writes its customers and their contacts through
    the object types' import actions (``ObjectActions.import_create``), never by itself."""
    from dataclasses import replace

    from kehu.core.registry import registry

    seen = []
    for label in ("customers.customer", "customers.contact"):
        ot = registry[label]

        def recorded(objs, ctx, real=ot.actions, label=label):
            seen.append((label, len(objs)))
            return real.import_create(objs, ctx)

        monkeypatch.setattr(ot, "actions", replace(ot.actions, import_create=recorded))
    rows = [["", "走动作的客户", "021-55550001", "", "上海", "", "", "张三", "13800138000"]]
    run = run_now(new_run(manager, csv_bytes(rows)), cap)
    assert run.status == ImportRun.Status.DONE, run.message
    assert seen == [("customers.customer", 1), ("customers.contact", 1)]
    assert Contact.objects.get(name="张三").customer.name == "走动作的客户"
    assert customer_imports.CustomerImporter.create is None  # nothing of its own
    assert customer_imports.ContactImporter.create is None


@pytest.mark.django_db
def test_people_with_common_names_are_all_imported_and_a_second_import_adds_none(manager, cap):
    header = ["客户名称", "客户类别", "城市", "生日"]
    rows = [
        [name, "个人", city, f"19{70 + k}-0{1 + k % 9}-1{k % 9}"]
        for k, (name, city) in enumerate(
            (n, c) for n in ("张伟", "王芳", "李娜") for c in ("上海", "北京", "上海")
        )
    ]
    data = csv_bytes(rows, header=header)
    run = run_now(new_run(manager, data), cap)
    assert (run.created, run.duplicates, run.errors) == (9, 0, 0)
    assert Customer.objects.filter(name="张伟", birthday__isnull=False).count() == 3
    again = run_now(new_run(manager, data), cap)
    assert again.created == 0 and Customer.objects.count() == 9
