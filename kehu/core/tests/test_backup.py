"""Backup and restore against the real test database (SQLite file or PostgreSQL + pg_dump).

Every test commits its data (``transaction=True``) so pg_dump, a separate process, sees it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from conftest import service_missing
from kehu.core.actions import add_attachment
from kehu.core.backup import BackupError, create_backup, database_is_empty, restore_backup
from kehu.core.models import Attachment, AuditLog
from kehu.customers.models import Customer
from kehu.system.models import User

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OTHER_ENGINE = {"sqlite": "postgresql", "postgresql": "sqlite"}
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@pytest.fixture(autouse=True)
def isolated_dirs(settings, tmp_path):
    """Own MEDIA_ROOT and backup directory per test; PostgreSQL runs need the client tools."""
    if connection.vendor == "postgresql":
        for tool in ("pg_dump", "pg_restore"):
            if shutil.which(tool) is None:
                service_missing(f"{tool} is not installed (apt-get install postgresql-client)")
    settings.MEDIA_ROOT = tmp_path / "data" / "media"
    settings.KEHU_BACKUP_DIR = tmp_path / "data" / "backups"
    return tmp_path


def make_customers(owner, n: int, start: int = 1) -> list[Customer]:
    result = []
    for i in range(start, start + n):
        c = Customer(
            number=f"B{i:05d}", name=f"备份客户{i}", owner=owner, department=owner.department
        )
        c.save()
        result.append(c)
    return result


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("报价单.pdf", PDF, content_type="application/pdf")


def state() -> dict:
    """Everything a restore must bring back, as plain comparable values."""
    return {
        "customers": list(
            Customer.objects.order_by("id").values_list(
                "id", "number", "name", "owner_id", "department_id", "version", "created_at"
            )
        ),
        "users": list(
            User.objects.order_by("id").values_list(
                "id", "username", "password", "department_id", "is_active", "is_superuser"
            )
        ),
        "audit": list(
            AuditLog.objects.order_by("id").values_list(
                "id", "timestamp", "user_id", "content_type_id", "object_id", "action", "changes"
            )
        ),
        "attachments": [
            (a.id, a.name, a.sha256, a.file.name, a.file.open("rb").read())
            for a in Attachment.objects.order_by("id")
        ],
    }


def repack(src: Path, dst: Path, *, extra=(), rename=None, manifest_patch=None) -> Path:
    """A copy of ``src`` with extra members, renamed members or a changed manifest."""
    with tarfile.open(src, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar]
    with tarfile.open(dst, "w:gz") as out:
        for member, data in members:
            if member.name == "manifest.json" and manifest_patch:
                manifest = json.loads(data)
                manifest.update(manifest_patch)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            if rename and member.name in rename:
                member.name = rename[member.name]
            out.addfile(member, io.BytesIO(data) if data is not None else None)
        for member, data in extra:
            out.addfile(member, io.BytesIO(data) if data is not None else None)
    return dst


def file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_round_trip_brings_back_every_record_and_attachment(make_user, tmp_path):
    owner = make_user("salesperson", "a1")
    other = make_user("salesperson", "b")
    customers = make_customers(owner, 15) + make_customers(other, 5, start=100)
    att = add_attachment(target=customers[0], upload=pdf())
    before = state()
    assert before["attachments"][0][4] == PDF

    archive = create_backup()
    assert archive.parent == Path(tmp_path / "data" / "backups").resolve()
    assert re.fullmatch(r"kehu-backup-\d{8}-\d{6}\.tar\.gz", archive.name)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert DB_MEMBER[connection.vendor] in names
    assert f"media/{att.file.name}" in names
    assert manifest["engine"] == connection.vendor
    assert manifest["counts"]["customers.Customer"] == 20
    assert manifest["counts"]["core.AuditLog"] == len(before["audit"])
    assert manifest["counts"]["system.User"] == 2
    assert "customers.0001_initial" in manifest["migrations"]
    assert manifest["kehu_version"] and manifest["django_version"] and manifest["created_at"]
    assert manifest["media_files"] == 1

    # Damage everything: delete and edit customers, change a user, lose the attachment.
    for c in customers[:6]:
        c.delete()
    for c in Customer.objects.all():
        c.name += "（改）"
        c.save()
    make_customers(owner, 3, start=500)
    owner.set_password("changed-Pw-987")
    owner.username = "renamed"
    owner.save()
    Path(att.file.path).unlink()
    att.delete()
    damaged = state()
    assert damaged != before

    with pytest.raises(BackupError, match="already holds data"):
        restore_backup(archive)
    assert state() == damaged  # the refusal changed nothing

    result = restore_backup(archive, force=True)
    assert result["mismatches"] == []
    assert result["counts"]["customers.Customer"] == {"expected": 20, "actual": 20}
    assert result["media_files"] == 1
    assert state() == before
    restored = Attachment.objects.get()
    assert Path(restored.file.path).read_bytes() == PDF
    if connection.vendor == "sqlite":
        db = Path(connection.settings_dict["NAME"])
        assert not Path(f"{db}-journal").exists()

    # The replaced data went to a safety backup first, so the forced restore lost nothing.
    safety = Path(result["safety_backup"])
    assert safety.name.startswith("kehu-pre-restore-") and safety.is_file()
    back = restore_backup(safety, force=True)
    assert back["mismatches"] == []
    assert state() == damaged


def test_restore_into_an_empty_database_needs_no_force(make_user):
    owner = make_user()
    make_customers(owner, 4)
    add_attachment(target=Customer.objects.first(), upload=pdf())
    before = state()
    archive = create_backup()
    shutil.rmtree(Path(Attachment.objects.get().file.path).parents[3])

    call_command("flush", interactive=False, verbosity=0)
    assert database_is_empty()
    result = restore_backup(archive)
    assert result["safety_backup"] is None
    assert result["mismatches"] == []
    assert state() == before
    assert not database_is_empty()


@pytest.mark.parametrize(
    "member",
    [
        file_member("../evil", b"owned"),
        file_member("media/../../evil", b"owned"),
        file_member("/tmp/kehu-backup-test-evil", b"owned"),
        pytest.param("symlink", id="symlink"),
    ],
)
def test_tampered_archive_is_rejected_and_nothing_changes(make_user, tmp_path, member):
    owner = make_user()
    make_customers(owner, 3)
    archive = create_backup()
    if member == "symlink":
        info = tarfile.TarInfo("media/passwd")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        member = (info, None)
    tampered = repack(archive, tmp_path / "tampered.tar.gz", extra=[member])
    Customer.objects.first().delete()
    before = state()

    with pytest.raises(BackupError, match="Unsafe path|link or special file"):
        restore_backup(tampered, force=True)
    assert state() == before
    data = tmp_path / "data"
    assert not (data / "evil").exists() and not (tmp_path / "evil").exists()
    assert not Path("/tmp/kehu-backup-test-evil").exists()
    assert not list(data.glob(".kehu-restore-*"))  # staging cleaned up
    assert not list((data / "backups").glob("kehu-pre-restore-*"))  # refused before any work


@pytest.mark.parametrize("how", ["manifest", "dump"])
def test_backup_from_the_other_engine_is_refused(make_user, tmp_path, how):
    owner = make_user()
    make_customers(owner, 2)
    archive = create_backup()
    other = OTHER_ENGINE[connection.vendor]
    rename = {DB_MEMBER[connection.vendor]: DB_MEMBER[other]} if how == "dump" else None
    patch = {"engine": other, "database_file": DB_MEMBER[other]}
    foreign = repack(archive, tmp_path / "foreign.tar.gz", rename=rename, manifest_patch=patch)
    before = state()

    made = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[other]
    with pytest.raises(BackupError, match=f"made from a {made} database"):
        restore_backup(foreign, force=True)
    assert state() == before


def test_damaged_or_missing_archives_are_refused(make_user, tmp_path):
    owner = make_user()
    make_customers(owner, 3)
    archive = create_backup()
    before = state()

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is not an archive" * 100)
    with pytest.raises(BackupError, match="not a readable Kehu backup"):
        restore_backup(truncated, force=True)
    with pytest.raises(BackupError, match="not a readable Kehu backup"):
        restore_backup(garbage, force=True)
    with pytest.raises(BackupError, match="no backup file"):
        restore_backup(tmp_path / "missing.tar.gz", force=True)
    no_manifest = tmp_path / "no-manifest.tar.gz"
    with tarfile.open(archive) as tar, tarfile.open(no_manifest, "w:gz") as out:
        db = tar.getmember(DB_MEMBER[connection.vendor])
        out.addfile(db, tar.extractfile(db))
    with pytest.raises(BackupError, match="no manifest.json"):
        restore_backup(no_manifest, force=True)
    bad_sum = repack(archive, tmp_path / "bad-sum.tar.gz", manifest_patch={"database_sha256": "0"})
    with pytest.raises(BackupError, match="checksum"):
        restore_backup(bad_sum, force=True)
    with tarfile.open(archive) as tar:
        migrations = json.loads(tar.extractfile("manifest.json").read())["migrations"]
    future = repack(
        archive,
        tmp_path / "future.tar.gz",
        manifest_patch={"migrations": [*migrations, "customers.9999_from_the_future"]},
    )
    with pytest.raises(BackupError, match="newer Kehu"):
        restore_backup(future, force=True)
    assert state() == before


def test_backup_is_consistent_while_another_connection_writes(make_user):
    """The snapshot's counts match its dump even while customers (and audit rows) keep coming."""
    owner = make_user()
    stop, started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        n = 10_000
        try:
            while not stop.is_set():
                make_customers(owner, 1, start=n)
                n += 1
                started.set()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(30)
        archives = [create_backup() for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    assert not errors
    manifest_counts = []
    for archive in archives:
        with tarfile.open(archive) as tar:
            manifest_counts.append(json.loads(tar.extractfile("manifest.json").read())["counts"])
    seen = [c["customers.Customer"] for c in manifest_counts]
    assert 0 < seen[0] < seen[-1] < Customer.objects.count() + 1  # writes went on throughout
    result = restore_backup(archives[-1], force=True)
    assert result["mismatches"] == []
    counts = manifest_counts[-1]
    # Each customer brought exactly one audit record with it: no half-captured transaction.
    creates = AuditLog.objects.filter(content_type__model="customer", action="create").count()
    assert creates == counts["customers.Customer"] == Customer.objects.count()


def test_commands(make_user, tmp_path):
    owner = make_user()
    make_customers(owner, 3)
    out = io.StringIO()
    call_command("backup", dest=tmp_path / "elsewhere", stdout=out)
    path = Path(out.getvalue().strip().splitlines()[-1])
    assert path.parent == (tmp_path / "elsewhere").resolve() and path.is_file()
    assert "customers.Customer" in out.getvalue()

    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restore", str(tmp_path / "nope.tar.gz"), stdout=io.StringIO())
    Customer.objects.first().delete()
    out = io.StringIO()
    call_command("restore", str(path), force=True, stdout=out)
    assert "Restored" in out.getvalue() and "safety backup" not in out.getvalue()
    assert "saved first to" in out.getvalue()
    assert Customer.objects.count() == 3
