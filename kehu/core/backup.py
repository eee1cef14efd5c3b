"""Backup and restore: one ``.tar.gz`` holding the database, the attachments and a manifest.

An archive contains ``database.sqlite3`` (SQLite online-backup copy) or ``database.pgdump``
(``pg_dump -Fc``), the ``media/`` tree (settings.MEDIA_ROOT) and ``manifest.json`` (versions,
engine, record counts per model, applied migrations, checksums). Both functions work on the
database of the *current* connection (``connection.settings_dict``), so they act on the test
database under pytest exactly as on the real one in production.

Restore validates the whole archive into a staging directory before it touches anything, refuses
to overwrite a database holding data unless forced, and then first writes a safety backup of what
it is about to replace, so a mistaken restore loses nothing.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

import kehu

from . import providers

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media"
DB_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
MAX_MANIFEST_BYTES = 50 * 1024 * 1024
CHUNK = 1024 * 1024

#: Rows that ``migrate`` and ``kehu run`` create by themselves: a database holding only these is
#: "empty" and may be restored into without ``force``.
BOOTSTRAP_LABELS = frozenset(
    {
        "contenttypes.ContentType",
        "auth.Permission",
        "sessions.Session",
        "system.Role",
        "system.Role_permissions",
        "core.AuditLog",
        "system.DictionaryItem",
    }
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


# --- shared helpers --------------------------------------------------------------------------


def _vendor() -> str:
    if connection.vendor not in DB_MEMBERS:
        raise BackupError(
            f"Backups support SQLite and PostgreSQL, not {connection.vendor} "
            f"({connection.settings_dict['ENGINE']})."
        )
    return connection.vendor


def _model_tables() -> list[tuple[str, str]]:
    """(label, table) of every concrete table Django manages, M2M tables included."""
    seen: set[str] = set()
    result = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        result.append((meta.label, meta.db_table))
    return sorted(result)


def _count_rows(cursor: Any, existing: set[str], quote: Any) -> dict[str, int]:
    """Rows per model label, through any DB-API cursor (sqlite3, psycopg or Django's)."""
    counts = {}
    for label, table in _model_tables():
        if table in existing:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - quoted names
            counts[label] = int(cursor.fetchone()[0])
    return counts


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"] or "")
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError(
            f"The SQLite database {name!r} is in memory; only files can be backed up."
        )
    return Path(name).resolve()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed. Install the PostgreSQL client tools matching the server "
            "version (Debian/Ubuntu: apt-get install postgresql-client)."
        )
    return path


def _pg_args_env() -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore; the password only in env."""
    s = connection.settings_dict
    args = []
    if s.get("HOST"):
        args += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", str(s["USER"])]
    args += ["--no-password", f"--dbname={s['NAME']}"]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    options = s.get("OPTIONS") or {}
    for option, var in {
        "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT",
        "sslcert": "PGSSLCERT",
        "sslkey": "PGSSLKEY",
        "passfile": "PGPASSFILE",
        "service": "PGSERVICE",
        "options": "PGOPTIONS",
    }.items():
        if options.get(option):
            env[var] = str(options[option])
    return args, env


def _pg_connect() -> Any:
    """A plain psycopg connection to the current database, separate from Django's."""
    import psycopg

    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    return psycopg.connect(**params)


_PG_TABLES_SQL = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(current_schemas(false))"
)


def live_counts() -> dict[str, int]:
    """Rows per model in the current database, as the running code sees it."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        return _count_rows(cursor, existing, connection.ops.quote_name)


def database_is_empty() -> bool:
    """True when the database holds nothing but what ``migrate`` and ``kehu run`` create."""
    counts = live_counts()
    if any(n for label, n in counts.items() if label not in BOOTSTRAP_LABELS):
        return False
    if not providers.setup_is_default(counts):
        return False  # roles added, or dictionary entries edited after migrate installed them
    if counts.get("core.AuditLog"):
        from kehu.core.models import AuditLog

        bootstrap = AuditLog.objects.filter(
            content_type__app_label="system",
            content_type__model__in=["role", "dictionaryitem"],
            action="create",
            user=None,
        )
        if AuditLog.objects.exclude(pk__in=bootstrap.values("pk")).exists():
            return False
    return True


# --- backup ----------------------------------------------------------------------------------


def _snapshot_sqlite(target: Path) -> tuple[dict[str, int], list[str]]:
    """Copy the live database with SQLite's online backup API: one consistent snapshot, while
    the web server and worker keep writing (WAL readers do not block writers)."""
    source_path = _sqlite_path()
    if not source_path.exists():
        raise BackupError(
            f"There is no database at {source_path}. Run “kehu migrate” (or “kehu run”) first."
        )
    src = sqlite3.connect(source_path, timeout=60)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: everything in one step under one read transaction
            # A self-contained file: no -wal sidecar is needed to read the copy.
            dst.execute("PRAGMA journal_mode=DELETE")
            cur = dst.cursor()
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            existing = {row[0] for row in cur.fetchall()}
            counts = _count_rows(cur, existing, _sqlite_quote)
            migrations = []
            if "django_migrations" in existing:
                cur.execute("SELECT app, name FROM django_migrations ORDER BY id")
                migrations = [f"{app}.{name}" for app, name in cur.fetchall()]
        finally:
            dst.close()
    finally:
        src.close()
    return counts, migrations


def _snapshot_postgresql(target: Path) -> tuple[dict[str, int], list[str]]:
    """``pg_dump -Fc`` from an exported snapshot, with counts from that same snapshot."""
    pg_dump = _pg_tool("pg_dump")
    import psycopg

    try:
        conn = _pg_connect()
    except psycopg.Error as exc:
        raise BackupError(f"Cannot connect to PostgreSQL: {exc}") from exc
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        cur = conn.cursor()
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
        args, env = _pg_args_env()
        result = subprocess.run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip() or result.returncode}")
        cur.execute(_PG_TABLES_SQL)
        existing = {row[0] for row in cur.fetchall()}
        counts = _count_rows(cur, existing, connection.ops.quote_name)
        migrations = []
        if "django_migrations" in existing:
            cur.execute("SELECT app, name FROM django_migrations ORDER BY id")
            migrations = [f"{app}.{name}" for app, name in cur.fetchall()]
        conn.rollback()
    finally:
        conn.close()
    return counts, migrations


def _media_files(skip: Path) -> Iterator[tuple[Path, str]]:
    """(file, archive name) of every regular file under MEDIA_ROOT; symlinks are not followed,
    and ``skip`` (the backup directory, should it lie inside MEDIA_ROOT) is left out."""
    root = Path(settings.MEDIA_ROOT).resolve()
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if (Path(dirpath) / d).resolve() != skip)
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if path.is_symlink() or not path.is_file():
                continue
            yield path, f"{MEDIA_PREFIX}/{path.relative_to(root).as_posix()}"


def _unique_path(directory: Path, prefix: str) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = directory / f"{prefix}-{stamp}.tar.gz"
    n = 2
    while path.exists():
        path = directory / f"{prefix}-{stamp}-{n}.tar.gz"
        n += 1
    return path


def _write_backup(dest_dir: Path | None, prefix: str) -> tuple[Path, dict[str, Any]]:
    try:
        return _write_backup_unchecked(dest_dir, prefix)
    except OSError as exc:  # disk full, permissions ...: a clear message, no half archive
        raise BackupError(f"The backup could not be written: {exc}") from exc


def _write_backup_unchecked(dest_dir: Path | None, prefix: str) -> tuple[Path, dict[str, Any]]:
    vendor = _vendor()
    dest = Path(dest_dir if dest_dir is not None else settings.KEHU_BACKUP_DIR).resolve()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot create the backup directory {dest}: {exc}") from exc
    created_at = timezone.now()
    with tempfile.TemporaryDirectory(prefix=".kehu-backup-", dir=dest) as tmp:
        db_name = DB_MEMBERS[vendor]
        db_file = Path(tmp) / db_name
        if vendor == "sqlite":
            counts, migrations = _snapshot_sqlite(db_file)
        else:
            counts, migrations = _snapshot_postgresql(db_file)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "kehu_version": kehu.__version__,
            "django_version": django.get_version(),
            "engine": vendor,
            "created_at": created_at.isoformat(),
            "database_file": db_name,
            "database_size": db_file.stat().st_size,
            "database_sha256": _sha256(db_file),
            "counts": counts,
            "migrations": migrations,
        }
        part = Path(tmp) / "archive.tar.gz"
        media_count = media_bytes = 0
        with tarfile.open(part, "w:gz", compresslevel=6) as tar:
            tar.add(db_file, arcname=db_name, recursive=False)
            # The database first, then the files: every attachment row of the snapshot has
            # its file by then (attachment files are content-addressed and never rewritten).
            for path, arcname in _media_files(skip=dest):
                try:
                    info = tar.gettarinfo(path, arcname=arcname)
                    with path.open("rb") as f:
                        tar.addfile(info, f)
                except FileNotFoundError:
                    continue  # deleted since the walk: its row is gone too, or will be
                media_count += 1
                media_bytes += info.size
            manifest["media_files"] = media_count
            manifest["media_bytes"] = media_bytes
            data = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(created_at.timestamp())
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        part.chmod(0o600)  # password hashes and customer data: owner-only
        final = _unique_path(dest, prefix)
        os.replace(part, final)  # never a half-written archive under the final name
    return final, manifest


def make_backup(dest_dir: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """:func:`create_backup`, also returning the manifest (reading it back means a full
    decompression, as it is the last member)."""
    return _write_backup(dest_dir, "kehu-backup")


def create_backup(dest_dir: Path | None = None) -> Path:
    """Write ``kehu-backup-YYYYmmdd-HHMMSS.tar.gz`` to ``dest_dir`` (default KEHU_BACKUP_DIR)."""
    return make_backup(dest_dir)[0]


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive, for listing backups without restoring them."""
    with _open_archive(archive) as (tar, _gz):
        for member in tar:
            if member.name == MANIFEST and member.isfile():
                f = tar.extractfile(member)
                return _parse_manifest(f.read(MAX_MANIFEST_BYTES + 1) if f else b"")
    raise BackupError(f"{archive} has no {MANIFEST}: it is not a Kehu backup.")


# --- restore ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _open_archive(archive: Path) -> Iterator[tuple[tarfile.TarFile, gzip.GzipFile]]:
    """Stream-read the archive once; gzip and tar damage become a BackupError."""
    try:
        raw = archive.open("rb")
    except OSError as exc:
        raise BackupError(f"Cannot read {archive}: {exc}") from exc
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
            try:
                with tarfile.open(fileobj=gz, mode="r|") as tar:
                    yield tar, gz
            except (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error) as exc:
                raise BackupError(
                    f"{archive} is not a readable Kehu backup (damaged or not a .tar.gz): {exc}"
                ) from exc
    finally:
        raw.close()


def _parse_manifest(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_MANIFEST_BYTES:
        raise BackupError("The manifest is implausibly large; the archive is not a Kehu backup.")
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"The manifest is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("counts"), dict):
        raise BackupError("The manifest lacks the record counts; the archive is not a Kehu backup.")
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"Backup format {manifest.get('format')!r} is not supported by this Kehu "
            f"(format {FORMAT}); use the Kehu version that made it ({manifest.get('kehu_version')})."
        )
    return manifest


def _safe_member_path(member: tarfile.TarInfo) -> PurePosixPath:
    """Reject anything that could land outside the staging directory or is not a plain file."""
    name = member.name
    path = PurePosixPath(name)
    if (
        not name
        or "\x00" in name
        or "\\" in name
        or path.is_absolute()
        or ".." in path.parts
        or (path.parts and ":" in path.parts[0])
    ):
        raise BackupError(f"Unsafe path {name!r} in the archive: refusing to restore it.")
    if not (member.isfile() or member.isdir()):
        raise BackupError(
            f"Archive member {name!r} is a link or special file: refusing to restore it."
        )
    return path


def _engine_mismatch(backup_engine: str, current: str) -> BackupError:
    made = ENGINE_NAMES.get(backup_engine, backup_engine)
    here = ENGINE_NAMES.get(current, current)
    return BackupError(
        f"This backup was made from a {made} database, but this Kehu uses {here}. "
        f"A backup can only be restored into the same kind of database: configure Kehu for "
        f"{made} to restore it."
    )


def _copy_member(src: Any, dst: Path, size: int) -> str:
    h = hashlib.sha256()
    written = 0
    with dst.open("wb") as out:
        while chunk := src.read(CHUNK):
            h.update(chunk)
            out.write(chunk)
            written += len(chunk)
    if written != size:
        raise BackupError(f"Archive member {dst.name} is truncated.")
    return h.hexdigest()


def _stage(archive: Path, staging: Path, vendor: str) -> tuple[dict[str, Any], Path, list[str]]:
    """Extract and verify everything into ``staging``; nothing outside it is touched."""
    manifest: dict[str, Any] | None = None
    db_path: Path | None = None
    db_digest = ""
    media: list[str] = []
    media_bytes = 0
    seen: set[str] = set()
    media_dir = staging / MEDIA_PREFIX
    with _open_archive(archive) as (tar, gz):
        for member in tar:
            path = _safe_member_path(member)
            key = path.as_posix()
            if key in seen:
                raise BackupError(f"Archive member {key!r} appears twice: refusing to restore.")
            seen.add(key)
            if member.isdir():
                if path.parts[:1] != (MEDIA_PREFIX,) and key != ".":
                    raise BackupError(f"Unexpected directory {key!r} in the archive.")
                continue
            src = tar.extractfile(member)
            if src is None:  # pragma: no cover - isfile() members always have data
                raise BackupError(f"Cannot read {key!r} from the archive.")
            if key == MANIFEST:
                manifest = _parse_manifest(src.read(MAX_MANIFEST_BYTES + 1))
            elif key in DB_MEMBERS.values():
                engine = next(e for e, n in DB_MEMBERS.items() if n == key)
                if engine != vendor:
                    raise _engine_mismatch(engine, vendor)
                if db_path is not None:
                    raise BackupError("The archive holds more than one database.")
                db_path = staging / key
                db_digest = _copy_member(src, db_path, member.size)
            elif len(path.parts) > 1 and path.parts[0] == MEDIA_PREFIX:
                rel = PurePosixPath(*path.parts[1:])
                target = media_dir.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                _copy_member(src, target, member.size)
                media.append(rel.as_posix())
                media_bytes += member.size
            else:
                raise BackupError(f"Unexpected file {key!r} in the archive: not a Kehu backup.")
        # Read to the very end so gzip checks the CRC of the whole stream.
        while gz.read(CHUNK):
            pass
    if manifest is None:
        raise BackupError(f"{archive} has no {MANIFEST}: it is not a Kehu backup.")
    if manifest.get("engine") != vendor:
        raise _engine_mismatch(str(manifest.get("engine")), vendor)
    if db_path is None or manifest.get("database_file") != db_path.name:
        raise BackupError("The archive has no database dump matching its manifest.")
    if manifest.get("database_sha256") != db_digest:
        raise BackupError("The database dump does not match the manifest's checksum.")
    if manifest.get("media_files") != len(media) or manifest.get("media_bytes") != media_bytes:
        raise BackupError(
            f"The archive holds {len(media)} attachment files ({media_bytes} bytes), the manifest "
            f"lists {manifest.get('media_files')} ({manifest.get('media_bytes')} bytes)."
        )
    return manifest, db_path, media


def _check_migrations(manifest: dict[str, Any]) -> None:
    """Refuse a backup whose schema is newer than this code: it would not run here."""
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    installed = {config.label for config in apps.get_app_configs()}
    unknown = []
    for entry in manifest.get("migrations") or []:
        app, _, name = str(entry).partition(".")
        if app in installed and (app, name) not in known:
            unknown.append(entry)
    if unknown:
        raise BackupError(
            f"The backup was made by a newer Kehu ({manifest.get('kehu_version')}); its "
            f"migrations {', '.join(unknown[:5])} are unknown here. Upgrade Kehu, then restore."
        )


def _verify_sqlite(path: Path) -> None:
    try:
        db = sqlite3.connect(path)
        try:
            result = db.execute("PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            # WAL, as the settings want it; the header keeps the mode for the next opener.
            db.execute("PRAGMA journal_mode=WAL")
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"The database in the archive is damaged: {exc}") from exc
    if result != "ok":
        raise BackupError(f"The database in the archive is damaged: {result}")
    if "django_migrations" not in tables:
        raise BackupError("The database in the archive is not a Kehu database.")


def _move(src: Path, dst: Path) -> None:
    """Atomic replace; across filesystems copy next to the target first, then replace."""
    try:
        os.replace(src, dst)
    except OSError:
        tmp = dst.with_name(f".{dst.name}.restoring")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)


def _media_moves(staging: Path, files: Iterable[str]) -> list[tuple[Path, Path]]:
    """(staged file, final place) pairs, checked before anything is replaced."""
    root = Path(settings.MEDIA_ROOT).resolve()
    moves = []
    for rel in files:
        parts = PurePosixPath(rel).parts
        target = root.joinpath(*parts)
        if not target.parent.resolve().is_relative_to(root) or target.is_dir():
            raise BackupError(
                f"{target} cannot be written: it leads outside MEDIA_ROOT (a symlink?) or is a "
                "directory. Nothing was changed."
            )
        moves.append((staging.joinpath(*parts), target))
    return moves


def _place_media(moves: Iterable[tuple[Path, Path]]) -> None:
    for src, target in moves:
        target.parent.mkdir(parents=True, exist_ok=True)
        _move(src, target)


def _replace_sqlite(staged: Path) -> None:
    live = _sqlite_path()
    connections.close_all()  # Django must not keep the old file (or its WAL) open
    if live.exists():
        # Fold the WAL into the old file first: nothing lives only in the sidecar files.
        with contextlib.suppress(sqlite3.Error):
            db = sqlite3.connect(live, timeout=20)
            try:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                db.close()
    # Stale sidecars of the old file would be applied to the new one and corrupt it.
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    if live.exists():
        staged.chmod(live.stat().st_mode & 0o777)  # keep the deployment's file permissions
    live.parent.mkdir(parents=True, exist_ok=True)
    _move(staged, live)


def _restore_postgresql(dump: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    connections.close_all()  # our own sessions would hold locks the DROPs wait for
    args, env = _pg_args_env()
    result = subprocess.run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",  # all or nothing: a failure leaves the old data in place
            "--exit-on-error",
            *args,
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(
            "pg_restore failed; the database was left as it was: "
            f"{result.stderr.strip()[-2000:] or result.returncode}"
        )


def _migrate_if_needed() -> list[str]:
    """Bring an older backup's schema up to this code's migrations."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return []
    call_command("migrate", interactive=False, verbosity=0)
    return [f"{m.app_label}.{m.name}" for m, _backwards in plan]


def restore_backup(archive: Path, *, force: bool = False) -> dict:
    """Replace the database and restore the attachments from ``archive``.

    Returns ``{"archive", "manifest", "counts": {label: {"expected", "actual"}}, "mismatches",
    "media_files", "safety_backup", "migrated"}``; ``mismatches`` lists the models whose count
    differs from the manifest's (empty when everything came back).
    """
    archive = Path(archive).expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"There is no backup file at {archive}.")
    vendor = _vendor()
    empty = database_is_empty()
    if not empty and not force:
        raise BackupError(
            "The database already holds data; restoring would replace all of it. Use --force "
            "(force=True) to replace it; a safety backup of the current data is made first."
        )
    media_root = Path(settings.MEDIA_ROOT).resolve()
    try:
        media_root.mkdir(parents=True, exist_ok=True)
        # Staging next to MEDIA_ROOT keeps the final moves on one filesystem (atomic renames).
        staging = Path(tempfile.mkdtemp(prefix=".kehu-restore-", dir=media_root.parent))
    except OSError as exc:
        raise BackupError(f"Cannot prepare the restore next to {media_root}: {exc}") from exc
    try:
        manifest, db_file, media = _stage(archive, staging, vendor)
        _check_migrations(manifest)
        if vendor == "sqlite":
            _verify_sqlite(db_file)
        moves = _media_moves(staging / MEDIA_PREFIX, media)
        safety = None if empty else _write_backup(None, "kehu-pre-restore")[0]
        if vendor == "sqlite":
            _replace_sqlite(db_file)
        else:
            _restore_postgresql(db_file)
        try:
            _place_media(moves)
        except OSError as exc:
            raise BackupError(
                f"The database was restored, but putting back the attachment files failed "
                f"({exc}). Free space or fix permissions under {media_root}, then run the "
                "restore again with --force."
            ) from exc
    except OSError as exc:  # raised before the database was replaced: nothing changed
        raise BackupError(f"The restore could not be prepared; nothing was changed: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # ids may differ in the restored database
    migrated = _migrate_if_needed()
    actual = live_counts()
    expected: dict[str, int] = manifest["counts"]
    counts = {
        label: {"expected": n, "actual": actual.get(label)} for label, n in sorted(expected.items())
    }
    return {
        "archive": str(archive),
        "manifest": manifest,
        "counts": counts,
        "mismatches": sorted(label for label, c in counts.items() if c["expected"] != c["actual"]),
        "media_files": len(media),
        "safety_backup": str(safety) if safety else None,
        "migrated": migrated,
    }
