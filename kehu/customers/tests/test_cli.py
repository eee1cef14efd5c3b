"""``kehu import`` and ``kehu export``: the operator's way in and out, with the same rules as the
pages (permissions, per-row errors, audit, formula escaping)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kehu.core.models import AuditLog, ImportRun
from kehu.customers.models import Contact, Customer

from .factories import contact as make_contact
from .factories import customer as make_customer

HEADER = ["客户名称", "电话", "邮箱", "城市", "信用额度", "联系人", "手机"]


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def read_csv(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


@pytest.mark.django_db
def test_import_writes_good_rows_reports_bad_ones_and_exits_1(manager, tmp_path):
    source = write_csv(
        tmp_path / "展会名单.csv",
        [
            ["上海展会一号有限公司", "021-55550001", "a@example.com", "上海", "1000", "王五", ""],
            ["", "021-55550002", "", "上海", "", "", ""],  # no name
            ["坏邮箱公司", "", "not-an-e-mail", "", "", "", ""],
            ["杭州展会二号", "", "", "杭州", "-5", "", ""],  # negative credit limit
            ["北京展会三号", "010-66660003", "", "北京", "", "李四", "13900001111"],
        ],
        encoding="gbk",
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "import", "customers", str(source), user=manager.username, stdout=out, stderr=err
        )
    assert exit_.value.code == 1
    assert set(Customer.objects.values_list("name", flat=True)) == {
        "上海展会一号有限公司",
        "北京展会三号",
    }
    assert Contact.objects.filter(name__in=["王五", "李四"]).count() == 2
    run = ImportRun.objects.get()
    assert (run.created, run.errors, run.encoding) == (2, 3, "gb18030")
    # two customers and their two contacts, all under the run's batch
    assert AuditLog.objects.filter(batch=run.batch, action="create").count() == 4
    text = out.getvalue()
    assert "客户名称 → name" in text and "2 created" in text and "3 rows with errors" in text
    report = read_csv(tmp_path / run.error_name)
    assert [r[0] for r in report[1:]] == ["3", "4", "5"]  # spreadsheet row numbers


@pytest.mark.django_db
def test_import_dry_run_writes_nothing(manager, tmp_path):
    source = write_csv(
        tmp_path / "list.csv",
        [["试运行公司", "", "", "", "", "", ""], ["", "", "", "", "", "", ""]],
    )
    out = io.StringIO()
    call_command(
        "import", "customers", str(source), user=manager.username, dry_run=True, stdout=out
    )
    assert "1 created" in out.getvalue() and "would be written" in out.getvalue()
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_import_mapping_override_and_bad_input(manager, tmp_path):
    source = write_csv(tmp_path / "x.csv", [["甲公司", "备注文字"]], header=["公司", "说明"])
    with pytest.raises(CommandError, match="名称"):  # "公司" is not a known heading
        call_command("import", "customers", str(source), user=manager.username)
    with pytest.raises(CommandError, match="Required fields"):
        call_command("import", "customers", str(source), user=manager.username, language="en")
    call_command(
        "import", "customers", str(source), user=manager.username, map=["公司=name", "说明=notes"]
    )
    assert Customer.objects.get().notes == "备注文字"
    with pytest.raises(CommandError, match="no column headed"):
        call_command("import", "customers", str(source), user=manager.username, map=["无=name"])
    with pytest.raises(CommandError, match="No active user"):
        call_command("import", "customers", str(source), user="nobody")
    with pytest.raises(CommandError, match="cannot be imported"):
        call_command("import", "users", str(source), user=manager.username)


@pytest.mark.django_db
def test_import_needs_the_import_permission(make_user, tmp_path):
    clerk = make_user("director")  # may export, may not import
    source = write_csv(tmp_path / "x.csv", [["甲公司", "", "", "", "", "", ""]])
    with pytest.raises(CommandError, match="may not import"):
        call_command("import", "customers", str(source), user=clerk.username)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_export_as_the_user_sees_it(make_user, tmp_path):
    manager = make_user("sales_manager", "a1")
    outsider = make_user("sales_manager", "b")
    make_customer(manager, 1, name='=HYPERLINK("http://evil")', city="杭州")
    make_customer(manager, 2, name="上海客户", city="上海")
    make_customer(outsider, 3, name="别人的客户", city="杭州")
    target = tmp_path / "out.csv"
    out = io.StringIO()
    call_command(
        "export",
        "customers",
        user=manager.username,
        output=target,
        filter=["city=杭州"],
        stdout=out,
    )
    table = read_csv(target)
    assert len(table) == 2  # heading + the manager's one customer in 杭州
    assert table[1][1] == '\'=HYPERLINK("http://evil")'
    assert "1 customers written" in out.getvalue()
    entry = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).get()
    assert entry.user_id == manager.pk and entry.changes["rows"] == 1


@pytest.mark.django_db
def test_export_formats_and_permission(make_user, tmp_path):
    manager = make_user("sales_manager", "a1")
    make_contact(manager, 1, name="张三")
    call_command(
        "export", "contacts", user=manager.username, format="vcf", output=tmp_path / "c.vcf"
    )
    assert "FN:张三" in (tmp_path / "c.vcf").read_text(encoding="utf-8")
    call_command(
        "export", "contacts", user=manager.username, format="xlsx", output=tmp_path / "c.xlsx"
    )
    assert (tmp_path / "c.xlsx").read_bytes()[:2] == b"PK"
    with pytest.raises(CommandError, match="export as"):
        call_command("export", "contacts", user=manager.username, format="pdf")
    seller = make_user("salesperson")
    with pytest.raises(CommandError):
        call_command("export", "customers", user=seller.username, output=tmp_path / "n.csv")
    assert not (tmp_path / "n.csv").exists()
