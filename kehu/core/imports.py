"""The import framework: read a CSV/XLSX/vCard file, map its columns to fields, validate every row
the way a form save would, and write the good rows in audited batches.

A module registers an :class:`Importer` per object type (its fields and a ``process`` function that
validates, and unless it is a dry run writes, one batch of rows). This module does everything
around it: encoding detection (UTF-8, UTF-8 with BOM, GBK/GB18030), delimiter sniffing, guessing
the mapping from Chinese or English headers, batching, counts, progress and the per-row error
report (original row + row number + reason, formula-escaped).

Rules the importers keep: a bad row never stops the good rows and never leaves half-written data
(a batch is written in one transaction; if the database refuses it, the batch is retried row by
row, each row in its own savepoint), and nothing is written without an audit record carrying the
run's batch ID.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import gc
import io
import logging
import re
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .dates import validate_date_range
from .export import safe_cell
from .jobs import job_task, start_job
from .models import BackgroundJob, ImportRun
from .registry import registry
from .uploads import check_upload

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
#: skipped rows a run keeps (row number and the record it matched) for its result page
SKIPPED_KEPT = 200
PREVIEW_LIMIT = 5000  # rows a dry run validates (a preview, not the run itself)
#: lines (blank ones too) a request reads at most: a dry run, the mapping page's samples
PREVIEW_SCAN = 2 * PREVIEW_LIMIT
#: lines before the header row at most (blank lines, a title)
HEADER_SEARCH = 1000
#: bytes of a CSV file the upload request reads (encoding, delimiter, header row); the rest is
#: read by the dry run and the background job
PEEK_BYTES = 1024 * 1024
ENCODINGS = {
    "utf-8": gettext_lazy("UTF-8"),
    "utf-8-sig": gettext_lazy("UTF-8 with BOM"),
    "gb18030": gettext_lazy("GBK / GB18030 (Chinese Windows, Excel)"),
}
DELIMITERS = {
    ",": gettext_lazy("Comma"),
    ";": gettext_lazy("Semicolon"),
    "\t": gettext_lazy("Tab"),
    "|": "|",
}


# --- Declarations ---------------------------------------------------------------------------


@dataclass
class ImportField:
    name: str
    label: Any
    required: bool = False
    #: more header spellings recognised when guessing the mapping (Chinese and English)
    aliases: tuple[str, ...] = ()
    help: Any = ""


@dataclass
class Row:
    """One data row of the file: its row number as a spreadsheet shows it, the original cells,
    the mapped values, and what happened to it."""

    number: int
    raw: list[Any]
    values: dict[str, Any]
    #: created / updated / skipped / duplicate / error; or "deferred": the row needs a row later
    #: in the file (a parent company): the engine processes it again after the last batch
    outcome: str = ""
    errors: list[str] = field(default_factory=list)
    preview: dict[str, Any] = field(default_factory=dict)
    #: a skipped row: (pk, name) of the existing record it matched
    record: tuple[Any, str] | None = None

    def fail(self, message: str) -> None:
        self.outcome = "error"
        self.errors.append(str(message))


@dataclass
class ImportContext:
    """What a ``process`` call may use: the user, the run's options, per-run caches."""

    user: Any
    mode: str
    dry_run: bool
    batch: str
    options: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)
    #: the last pass over deferred rows: a row may not be deferred again (see :class:`Row`)
    final: bool = False
    #: keys of the rows seen so far in the file (in-file duplicates): key -> row number
    seen: dict[Any, int] = field(default_factory=dict)
    #: how many rows the file has, when the background job has counted them (else None)
    expected_rows: int | None = None
    _added: list[Any] = field(default_factory=list)

    def first_seen(self, key: Any, number: int) -> int | None:
        """The row number that already had ``key`` in this file, else remember this row's."""
        if key in self.seen:
            return self.seen[key]
        self.seen[key] = number
        self._added.append(key)
        return None

    def forget_since(self, mark: int) -> None:
        """Undo :meth:`first_seen` calls of a batch whose writes were rolled back."""
        for key in self._added[mark:]:
            self.seen.pop(key, None)
        del self._added[mark:]


@dataclass
class Importer:
    label: str  # object type label, e.g. "customers.customer"
    verbose_name: Any
    fields: list[ImportField]
    #: ``process(rows, ctx)``: set ``outcome``/``errors``/``preview`` on each row; write unless
    #: ``ctx.dry_run``. Called once per batch inside a transaction.
    process: Callable[[list[Row], ImportContext], None]
    #: permission needed on top of the special import permission
    perm: str = ""
    formats: tuple[str, ...] = ("csv", "xlsx")
    #: ``read_vcf(data: bytes) -> (headers, rows)`` for importers that take vCard files
    read_vcf: Callable[[bytes], tuple[list[str], list[list[Any]]]] | None = None
    #: called once per run before the first batch (preload caches into ``ctx.state``)
    prepare: Callable[[ImportContext], None] | None = None
    #: {field name: value} for the example row of the downloadable template
    examples: dict[str, Any] = field(default_factory=dict)
    #: ``extra_fields() -> [ImportField]``: columns defined at run time (custom fields), read
    #: afresh on each call so a field the administrator adds can be mapped at once
    extra_fields: Callable[[], list[ImportField]] | None = None

    def all_fields(self) -> list[ImportField]:
        """The declared columns and the run-time ones (custom fields): what a column may map to."""
        return [*self.fields, *(self.extra_fields() if self.extra_fields else ())]

    def field(self, name: str) -> ImportField | None:
        return next((f for f in self.all_fields() if f.name == name), None)


def template_rows(importer: Importer) -> tuple[list[str], list[Any]]:
    """The header row of an import template — every column's label in the active language, as
    the mapping step recognises it — and one example row."""
    fields = importer.all_fields()
    headers = [str(capfirst(f.label)) for f in fields]
    example = [importer.examples.get(f.name, "") for f in fields]
    return headers, example


importers: dict[str, Importer] = registry.store("importers")


def register_importer(importer: Importer) -> Importer:
    importers[importer.label] = importer
    return importer


def get_importer(label: str) -> Importer:
    return importers[label]


def allowed(importer: Importer, user) -> bool:
    from .permissions import SpecialPermission

    return user.has_perm(SpecialPermission.IMPORT) and (
        not importer.perm or user.has_perm(importer.perm)
    )


# --- Reading files --------------------------------------------------------------------------


def file_format(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "vcf": "vcf"}.get(ext, "")


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _(
                "The file is neither UTF-8 nor GBK text (unreadable bytes at position %(pos)s). "
                "Save it from Excel as “CSV UTF-8” or as an .xlsx workbook and upload it again."
            )
            % {"pos": exc.start},
            code="encoding",
        ) from exc
    return "gb18030"


def decode(data: bytes, encoding: str) -> str:
    """The file's text in ``encoding``, or a message that says which encoding it looks like."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            guess = str(ENCODINGS.get(detect_encoding(data), ""))
        except ValidationError:
            guess = ""
        message = _("The file is not valid %(encoding)s text (line %(line)s).") % {
            "encoding": str(ENCODINGS.get(encoding, encoding)),
            "line": line,
        }
        if guess:
            message += " " + _("It looks like %(guess)s: choose that encoding.") % {"guess": guess}
        raise ValidationError(message, code="encoding") from exc
    return text[1:] if text.startswith("\ufeff") else text


def encoding_warning(data: bytes, encoding: str) -> str:
    """A warning when the chosen encoding decodes but another one fits better (garbled text)."""
    try:
        detected = detect_encoding(data)
    except ValidationError:
        return ""
    if detected.startswith("utf-8") != encoding.startswith("utf-8"):
        return _(
            "This file looks like %(detected)s; read as %(chosen)s its text will be garbled."
        ) % {
            "detected": str(ENCODINGS[detected]),
            "chosen": str(ENCODINGS.get(encoding, encoding)),
        }
    return ""


def sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    first = sample.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and codes Excel stored as numbers
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read_rows(
    run: ImportRun, *, max_line: int | None = None
) -> tuple[list[str], Iterator[tuple[int, list[Any] | None]]]:
    """The header row and an iterator of (row number, cells) of the run's file. CSV and XLSX
    are streamed from the stored file (memory does not grow with the file).

    ``max_line``: a request's bound: after that line the iterator yields ``(line, None)`` once
    and stops, however many (blank) lines follow. Past the configured maximum of rows it raises
    a ValidationError (the job fails with that message)."""
    if run.file_format == "vcf":
        with run.file.open("rb") as fh:
            data = fh.read()
        return read_bytes(data, run.file_format, run.encoding, run.delimiter, run.object_type)
    fh = run.file.open("rb")
    if run.file_format == "xlsx":
        return _read_xlsx(fh, max_line)
    encoding = run.encoding or "utf-8-sig"
    text = io.TextIOWrapper(
        fh, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline=""
    )
    return _read_csv(text, run.delimiter or ",", encoding, max_line)


def read_bytes(
    data: bytes, fmt: str, encoding: str, delimiter: str, label: str = ""
) -> tuple[list[str], Iterator[tuple[int, list[Any] | None]]]:
    if fmt == "xlsx":
        return _read_xlsx(io.BytesIO(data))
    if fmt == "vcf":
        importer = importers.get(label)
        if importer is None or importer.read_vcf is None:
            raise ValidationError(_("vCard files cannot be imported here."), code="format")
        headers, rows = importer.read_vcf(data)
        return _check_headers(headers), ((i, r) for i, r in enumerate(rows, 2))
    encoding = encoding or detect_encoding(data)
    text = decode(data, encoding)
    return _read_csv(io.StringIO(text, newline=""), delimiter or sniff_delimiter(text), encoding)


def _too_many_rows() -> ValidationError:
    return ValidationError(
        _("The file has more than %(max)s rows; split it into smaller files.")
        % {"max": f"{settings.KEHU_IMPORT_MAX_ROWS:,}"},
        code="too_many_rows",
    )


def _check_headers(headers: list[str]) -> list[str]:
    """The header row, refused when it has more columns than allowed or a NUL character (which
    the database cannot store); blank columns at its end are dropped beyond the limit."""
    width = max((i + 1 for i, h in enumerate(headers) if h), default=0)
    if width > settings.KEHU_IMPORT_MAX_COLUMNS:
        raise ValidationError(
            _("The file has more than %(max)s columns.")
            % {"max": settings.KEHU_IMPORT_MAX_COLUMNS},
            code="too_many_columns",
        )
    if any("\x00" in h for h in headers):
        raise ValidationError(
            _("The header row contains a NUL character; save the file again as CSV or XLSX."),
            code="nul",
        )
    return headers[: settings.KEHU_IMPORT_MAX_COLUMNS]


def _no_header() -> ValidationError:
    return ValidationError(
        _("No header row in the first %(n)s rows of the file.") % {"n": HEADER_SEARCH},
        code="empty",
    )


def _csv_error(line: int) -> ValidationError:
    return ValidationError(
        _(
            "Line %(line)s of the file cannot be read: a cell is longer than 128 KB or the file "
            "is not CSV text."
        )
        % {"line": line},
        code="csv",
    )


def _read_csv(fh, delimiter: str, encoding: str, max_line: int | None = None):
    reader = csv.reader(fh, delimiter=delimiter)
    headers: list[str] | None = None
    try:
        for line in reader:
            if not _blank(line):
                headers = [h.strip() for h in line]
                break
            if reader.line_num > HEADER_SEARCH:
                raise _no_header()
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("The file is not valid %(encoding)s text.")
            % {"encoding": str(ENCODINGS.get(encoding, encoding))},
            code="encoding",
        ) from exc
    except csv.Error as exc:
        raise _csv_error(reader.line_num + 1) from exc
    if headers is None:
        raise ValidationError(_("The file is empty."), code="empty")
    headers = _check_headers(headers)
    last = reader.line_num + settings.KEHU_IMPORT_MAX_ROWS

    def rows():
        try:
            for line in reader:
                if max_line is not None and reader.line_num > max_line:
                    yield reader.line_num, None
                    return
                if reader.line_num > last:
                    raise _too_many_rows()
                if not _blank(line):
                    yield reader.line_num, [c.strip() for c in line]
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _("The file is not valid %(encoding)s text (line %(line)s).")
                % {"encoding": str(ENCODINGS.get(encoding, encoding)), "line": reader.line_num + 1},
                code="encoding",
            ) from exc
        except csv.Error as exc:
            raise _csv_error(reader.line_num + 1) from exc
        finally:
            fh.close()

    return headers, rows()


def check_workbook_size(source) -> None:
    """Refuse a workbook that unzips to more than the configured size, before openpyxl reads it.

    A few kilobytes of XLSX can inflate to gigabytes (a zip bomb) and openpyxl parses the shared
    strings and styles as it opens the file. ``zipfile`` never inflates a member beyond the
    uncompressed size its directory declares, so the sum of those sizes bounds the work."""
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ValidationError(_("The file is not a readable Excel workbook."), code="xlsx") from exc
    finally:
        source.seek(0)
    cap = settings.KEHU_IMPORT_MAX_UNZIPPED_BYTES
    if len(infos) > 10_000 or sum(i.file_size for i in infos) > cap:
        raise ValidationError(
            _(
                "The workbook unpacks to more than %(max)s MB; split it into smaller files or "
                "save it as CSV."
            )
            % {"max": cap // 2**20},
            code="too_large",
        )


class _LazyStrings:
    """A workbook's shared strings, parsed as far as the cells read so far need them (openpyxl
    parses all of them when it opens a workbook: a header peek would pay for the whole file)."""

    def __init__(self, archive, path: str):
        from openpyxl.cell.text import Text
        from openpyxl.xml.constants import SHEET_MAIN_NS
        from openpyxl.xml.functions import iterparse

        self._text = Text
        self._tag = f"{{{SHEET_MAIN_NS}}}si"
        self._src = archive.open(path)
        self._events = iterparse(self._src)
        self._strings: list[str] = []

    def __getitem__(self, index: int) -> str:
        while len(self._strings) <= index and self._events is not None:
            for _event, node in self._events:
                if node.tag == self._tag:
                    text = self._text.from_tree(node).content.replace("x005F_", "")
                    node.clear()
                    self._strings.append(text)
                    break
            else:
                self._events = None
                self._src.close()
        return self._strings[index]


def _open_workbook(source):
    """openpyxl's read-only workbook with lazily parsed shared strings."""
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    class Reader(ExcelReader):
        def read_strings(self):
            ct = self.package.find(SHARED_STRINGS)
            self.shared_strings = _LazyStrings(self.archive, ct.PartName[1:]) if ct else []

    reader = Reader(source, read_only=True, data_only=False)
    reader.read()
    return reader.wb


def _read_xlsx(source, max_line: int | None = None):
    check_workbook_size(source)
    try:
        wb = _open_workbook(source)
        ws = wb.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(_("The file is not a readable Excel workbook.")) from exc
    try:
        it = ws.iter_rows(values_only=True, max_col=settings.KEHU_IMPORT_MAX_COLUMNS + 1)
        headers = None
        number = 0
        for number, line in enumerate(it, 1):  # noqa: B007
            if not _blank(list(line)):
                headers = [str(h).strip() if h is not None else "" for h in line]
                break
            if number >= HEADER_SEARCH:
                raise _no_header()
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError(_("The file is not a readable Excel workbook."), code="xlsx") from exc
    if headers is None:
        raise ValidationError(_("The file is empty."), code="empty")
    headers = _check_headers(headers)
    last = number + settings.KEHU_IMPORT_MAX_ROWS

    def rows():
        try:
            for n, line in enumerate(it, number + 1):
                if max_line is not None and n > max_line:
                    yield n, None
                    return
                if n > last:
                    raise _too_many_rows()
                if line.count(None) == len(line):  # an empty row, cheaply (sparse sheets)
                    continue
                cells = [_cell(c) for c in line]
                if not _blank(cells):
                    yield n, cells
        finally:
            wb.close()

    return headers, rows()


# --- Mapping --------------------------------------------------------------------------------


def normalise_header(text: str) -> str:
    return re.sub(r"[\s_\-:：*()（）/]+", "", str(text)).lower()


def header_names(importer: Importer) -> dict[str, str]:
    """{normalised spelling: field} from field names, labels in both languages and aliases."""
    names: dict[str, str] = {}
    for f in importer.all_fields():
        spellings = [f.name, *f.aliases]
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                spellings.append(str(f.label))
        for s in spellings:
            names.setdefault(normalise_header(s), f.name)
    return names


def guess_mapping(importer: Importer, headers: list[str]) -> list[str]:
    known = header_names(importer)
    used: set[str] = set()
    mapping = []
    for h in headers:
        target = known.get(normalise_header(h), "")
        if target in used:
            target = ""
        used.add(target)
        mapping.append(target)
    return mapping


def check_mapping(importer: Importer, mapping: list[str]) -> None:
    """Every required field mapped, no field mapped twice."""
    chosen = [m for m in mapping if m]
    twice = sorted({m for m in chosen if chosen.count(m) > 1})
    errors = []
    if twice:
        errors.append(
            _("These fields are mapped to more than one column: %(fields)s.")
            % {"fields": ", ".join(str(capfirst(importer.field(m).label)) for m in twice)}
        )
    missing = [f for f in importer.all_fields() if f.required and f.name not in chosen]
    if missing:
        errors.append(
            _("Required fields without a column: %(fields)s.")
            % {"fields": ", ".join(str(capfirst(f.label)) for f in missing)}
        )
    if errors:
        raise ValidationError(errors, code="mapping")


# --- Starting a run -------------------------------------------------------------------------


@transaction.atomic
def create_run(*, user, label: str, upload, encoding: str = "", mode: str = "") -> ImportRun:
    """Check the upload, detect its encoding and delimiter, read its headers, guess a mapping."""
    importer = get_importer(label)
    check_upload(upload)
    fmt = file_format(upload.name or "")
    if fmt not in importer.formats:
        raise ValidationError(
            _("Upload a file of type %(formats)s.")
            % {"formats": ", ".join(f.upper() for f in importer.formats)},
            code="format",
        )
    data = peek(upload) if fmt == "csv" else upload.read()
    upload.seek(0)
    run = ImportRun(
        user=user,
        object_type=label,
        file_name=(upload.name or "")[:255],
        file_format=fmt,
        mode=mode or ImportRun.Mode.SKIP,
        batch=uuid.uuid4().hex,
    )
    if fmt == "csv":
        run.encoding = encoding or detect_encoding(data)
        run.delimiter = sniff_delimiter(decode(data, run.encoding))
    headers, _rows = read_bytes(data, fmt, run.encoding, run.delimiter, label)
    run.headers = headers
    run.mapping = guess_mapping(importer, headers)
    run.file.save(f"{run.batch}.{fmt}", upload, save=False)
    run.save()
    return run


def peek(fh) -> bytes:
    """The start of a CSV file, whole lines only, at most :data:`PEEK_BYTES`: what a request
    reads to detect the encoding and delimiter and read the header row (the dry run and the job
    read the rest). Cut after a line break, so no character is cut in two (in UTF-8 and GB18030
    the byte of a line break is never part of another character)."""
    data = fh.read(PEEK_BYTES)
    if not fh.read(1):
        return data
    cut = data.rfind(b"\n")
    if cut < 0:
        raise _csv_error(1)
    return data[: cut + 1]


def run_peek(run: ImportRun) -> bytes:
    with run.file.open("rb") as fh:
        return peek(fh)


def sample_rows(run: ImportRun, n: int = 5) -> list[list[Any]]:
    _headers, rows = read_rows(run, max_line=HEADER_SEARCH + PREVIEW_SCAN)
    out = []
    for _number, cells in rows:
        if cells is None:
            break
        out.append(cells)
        if len(out) >= n:
            break
    return out


@transaction.atomic
def set_mapping(
    *, run: ImportRun, mapping: list[str], mode: str, encoding: str = "", delimiter: str = ""
) -> ImportRun:
    importer = get_importer(run.object_type)
    valid = {f.name for f in importer.all_fields()}
    mapping = [m if m in valid else "" for m in mapping][: len(run.headers)]
    mapping += [""] * (len(run.headers) - len(mapping))
    check_mapping(importer, mapping)
    if mode not in ImportRun.Mode.values:
        raise ValidationError(_("Choose what to do with existing records."), code="mode")
    run.mapping, run.mode = mapping, mode
    if run.file_format == "csv":
        run.encoding = encoding if encoding in ENCODINGS else run.encoding
        run.delimiter = delimiter if delimiter in DELIMITERS else run.delimiter
    run.status = ImportRun.Status.MAPPED
    run.save()
    return run


def reread_headers(run: ImportRun, *, encoding: str, delimiter: str = "") -> ImportRun:
    """Read the file again in another encoding/delimiter the user chose; guess the mapping anew."""
    if encoding not in ENCODINGS:
        raise ValidationError(_("Unknown encoding."), code="encoding")
    run.encoding = encoding
    if delimiter in DELIMITERS:
        run.delimiter = delimiter
    decode(run_peek(run), encoding)  # a wrong choice: say which encoding the file looks like
    headers, _rows = read_rows(run)
    if headers != run.headers:
        run.headers = headers
        run.mapping = guess_mapping(get_importer(run.object_type), headers)
    run.save()
    return run


# --- Running --------------------------------------------------------------------------------


@dataclass
class Outcome:
    counts: dict[str, int]
    preview: list[Row]
    problems: list[Row]
    total: int
    truncated: bool = False
    #: the first skipped rows (each with the record it matched)
    skipped: list[Row] = field(default_factory=list)


class ErrorReport:
    """The rows that were not imported: original cells, row number and reason, formula-escaped;
    written as the file came (CSV, or XLSX for a workbook)."""

    def __init__(self, headers: list[str], fmt: str):
        self.fmt = "xlsx" if fmt == "xlsx" else "csv"
        self.tmp = tempfile.TemporaryDirectory()
        self.path = Path(self.tmp.name) / f"errors.{self.fmt}"
        self.columns = [_("Row"), *headers, _("Error")]
        self.n = 0
        if self.fmt == "csv":
            self.fh = self.path.open("w", newline="", encoding="utf-8")
            self.fh.write("\ufeff")
            self.writer = csv.writer(self.fh)
            self.writer.writerow([safe_cell(c) for c in self.columns])
        else:
            from openpyxl import Workbook

            self.wb = Workbook(write_only=True)
            self.ws = self.wb.create_sheet(_("Errors")[:31])
            self.ws.append([safe_cell(c) for c in self.columns])

    def add(self, row: Row) -> None:
        cells = [row.number, *row.raw, "; ".join(row.errors)]
        cells += [""] * (len(self.columns) - len(cells))
        out = [safe_cell(c) for c in cells]
        if self.fmt == "csv":
            self.writer.writerow(out)
        else:
            self.ws.append(out)
        self.n += 1

    def close(self) -> Path:
        if self.fmt == "csv":
            self.fh.close()
        else:
            self.wb.save(self.path)
        return self.path

    def cleanup(self) -> None:
        self.tmp.cleanup()


def _process_batch(importer: Importer, rows: list[Row], ctx: ImportContext) -> None:
    """One batch in one transaction; if the database refuses it, row by row in savepoints so the
    good rows still land and a bad one leaves nothing behind."""
    if ctx.dry_run:
        importer.process(rows, ctx)
        ctx._added.clear()
        return
    try:
        with transaction.atomic():
            importer.process(rows, ctx)
    except (DatabaseError, ValidationError):
        ctx.forget_since(0)
        for row in rows:
            row.outcome, row.errors, row.preview = "", [], {}
            try:
                with transaction.atomic():
                    importer.process([row], ctx)
            except ValidationError as exc:
                ctx.forget_since(0)
                row.outcome, row.errors = "error", list(exc.messages)
            except DatabaseError as exc:
                # The database's own text names tables, constraints and other rows' values:
                # it goes to the log, the user (and the error report) get a plain reason.
                logger.warning(
                    "import %s: row %s refused by the database: %s", ctx.batch, row.number, exc
                )
                ctx.forget_since(0)
                row.outcome = "error"
                row.errors = [
                    _(
                        "The database refused this row (a value may already be in use, for "
                        "example by a record saved at the same time). Check it and import it again."
                    )
                ]
            ctx._added.clear()
    ctx._added.clear()


@contextlib.contextmanager
def batch_collection() -> Iterator[Callable[[], None]]:
    """Cyclic garbage collection between batches instead of during them.

    An import allocates millions of short-lived objects; the automatic collector keeps scanning
    the whole (large, long-lived) heap meanwhile, a fifth of an import's CPU time. Here it is off
    while rows are processed, and the yielded ``collect()`` (after each batch) frees the batch's
    garbage by collecting the young generations only. Restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield lambda: gc.collect(1)
    finally:
        if enabled:
            gc.enable()


def execute(
    run: ImportRun,
    *,
    dry_run: bool,
    limit: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    report: ErrorReport | None = None,
    preview_size: int = 20,
    scan: int | None = None,
) -> Outcome:
    """Validate (and unless ``dry_run`` write) the run's rows batch by batch; ``limit`` rows at
    most, read from the first ``scan`` lines at most."""
    with batch_collection() as collect:
        return _execute(
            run,
            dry_run=dry_run,
            limit=limit,
            scan=scan,
            progress=progress,
            report=report,
            preview_size=preview_size,
            collect=collect,
        )


def _execute(
    run: ImportRun,
    *,
    dry_run: bool,
    limit: int | None,
    scan: int | None,
    progress: Callable[[int, int | None], None] | None,
    report: ErrorReport | None,
    preview_size: int,
    collect: Callable[[], None],
) -> Outcome:
    importer = get_importer(run.object_type)
    check_mapping(importer, run.mapping)
    headers, rows_iter = read_rows(run, max_line=scan)
    ctx = ImportContext(
        user=run.user,
        mode=run.mode,
        dry_run=dry_run,
        batch=run.batch,
        options=dict(run.options or {}),
        expected_rows=(run.job.total or None) if run.job_id and not dry_run else None,
    )
    if importer.prepare:
        importer.prepare(ctx)
    mapping = list(run.mapping) + [""] * max(0, len(headers) - len(run.mapping))
    columns = [(i, name) for i, name in enumerate(mapping) if name]
    counts = {"created": 0, "updated": 0, "skipped": 0, "duplicate": 0, "error": 0}
    preview: list[Row] = []
    problems: list[Row] = []
    skipped: list[Row] = []
    total = 0
    truncated = False

    deferred: list[Row] = []

    def tally(row: Row) -> None:
        counts[row.outcome or "error"] = counts.get(row.outcome or "error", 0) + 1
        if row.outcome in ("error", "duplicate"):
            if report is not None:
                report.add(row)
            if len(problems) < 200:
                problems.append(row)
        elif len(preview) < preview_size:
            preview.append(row)
        if row.outcome == "skipped" and len(skipped) < SKIPPED_KEPT:
            skipped.append(row)

    def flush(batch: list[Row]) -> None:
        _process_batch(importer, batch, ctx)
        collect()
        for row in batch:
            if row.outcome == "deferred":
                deferred.append(row)
            else:
                tally(row)
        if progress:
            progress(total, None)

    batch: list[Row] = []
    for number, cells in rows_iter:
        if cells is None or (limit is not None and total >= limit):
            truncated = True
            break
        total += 1
        values = {name: (cells[i] if i < len(cells) else "") for i, name in columns}
        row = Row(number=number, raw=list(cells)[: len(headers)], values=values)
        if _has_nul(row):
            tally(row)  # never handed to the importer: the database cannot store it
            continue
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    # Rows that refer to rows later in the file: again, pass after pass while some get placed;
    # when a pass places none, a last one where they must resolve or fail (not found, cycle).
    while deferred:
        pending, size = deferred, len(deferred)
        deferred = []
        ctx.final = ctx.state.get("stalled", False)
        for start in range(0, len(pending), BATCH_SIZE):
            chunk = pending[start : start + BATCH_SIZE]
            for row in chunk:
                row.outcome, row.errors, row.preview = "", [], {}
            flush(chunk)
        if ctx.final:
            for row in deferred:  # deferred again in the last pass: an error all the same
                row.outcome = ""
                row.fail(_("This row refers to a row of the file that could not be imported."))
                tally(row)
            break
        ctx.state["stalled"] = len(deferred) == size
    return Outcome(
        counts=counts,
        preview=preview,
        problems=problems,
        total=total,
        truncated=truncated,
        skipped=skipped,
    )


def _has_nul(row: Row) -> bool:
    """A row with a NUL character (binary junk in a text file): an error naming its columns;
    the report shows the cells without it."""
    bad = [i for i, c in enumerate(row.raw) if isinstance(c, str) and "\x00" in c]
    if not bad:
        return False
    row.raw = [c.replace("\x00", "") if isinstance(c, str) else c for c in row.raw]
    row.fail(
        _("The row contains a NUL character (column %(columns)s).")
        % {"columns": ", ".join(str(i + 1) for i in bad)}
    )
    return True


def dry_run(run: ImportRun) -> Outcome:
    """Validate the first rows without writing: what would be created, updated, skipped. Reads
    at most :data:`PREVIEW_SCAN` lines, blank ones included: a request stays short."""
    return execute(run, dry_run=True, limit=PREVIEW_LIMIT, scan=HEADER_SEARCH + PREVIEW_SCAN)


def run_import(run: ImportRun, *, progress=None) -> ImportRun:
    """The import itself (a background job calls it): all rows, counts and error report saved."""
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    headers = run.headers
    report = ErrorReport(headers, run.file_format)
    try:
        outcome = execute(run, dry_run=False, progress=progress, report=report)
        path = report.close()
        if report.n:
            stem = run.file_name.rsplit(".", 1)[0]
            name = _("%(name)s-errors") % {"name": stem} + f".{report.fmt}"
            with path.open("rb") as fh:
                run.error_file.save(f"{run.batch}-errors.{report.fmt}", File(fh), save=False)
            run.error_name = name
    finally:
        report.cleanup()
    c = outcome.counts
    run.total_rows = outcome.total
    run.created, run.updated, run.skipped = c["created"], c["updated"], c["skipped"]
    run.duplicates, run.errors = c["duplicate"], c["error"]
    run.skipped_rows = [[r.number, *(r.record or (None, ""))] for r in outcome.skipped]
    run.status = ImportRun.Status.DONE
    run.finished_at = timezone.now()
    run.message = summary(run)
    run.save()
    return run


def summary(run: ImportRun) -> str:
    """The counts of a finished run, in the active language."""
    return run.summary_text()


def start_run(*, run: ImportRun) -> ImportRun:
    """Queue the import as a background job with a progress bar."""
    importer = get_importer(run.object_type)
    check_mapping(importer, run.mapping)
    if run.status in (ImportRun.Status.RUNNING, ImportRun.Status.DONE):
        raise ValidationError(_("This import has already run."), code="ran")
    with transaction.atomic():
        job = start_job(
            user=run.user,
            kind="import",
            title=_("Import of %(objects)s from %(file)s")
            % {"objects": str(importer.verbose_name), "file": run.file_name},
            task=import_job,
            params={"run": run.pk},
        )
        run.job = job
        run.status = ImportRun.Status.RUNNING
        run.save(update_fields=["job", "status"])
    return run


@job_task("kehu.core.import")
def import_job(job: BackgroundJob) -> str:
    """Run an import as the user who started it; progress counts rows read."""
    run = ImportRun.objects.select_related("user").get(pk=job.params["run"])
    try:
        if run.user_id != job.user_id or not allowed(get_importer(run.object_type), job.user):
            raise PermissionError(_("You may not import data."))
        _headers, rows = read_rows(run)
        job.set_progress(0, sum(1 for _row in rows))
        run = run_import(run, progress=lambda n, _total=None: job.set_progress(n))
    except Exception as exc:
        # a file the job cannot read (too many rows, bad bytes) says why in the user's language
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED, message=message[:2000], finished_at=timezone.now()
        )
        if isinstance(exc, ValidationError):
            raise RuntimeError(message) from exc  # the job's message: the same words
        raise
    job.set_progress(run.total_rows)
    return summary(run)


# --- Parsing helpers the importers share ----------------------------------------------------

TRUE_WORDS = {"1", "y", "yes", "true", "t", "是", "对", "√", "✓", "x"}
FALSE_WORDS = {"0", "n", "no", "false", "f", "否", "不", "×", ""}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        validate_date_range(value)
        return value
    text = str(value).strip()
    m = DATE_RE.match(text)
    if not m and re.fullmatch(r"\d{8}", text):
        m = re.match(r"(\d{4})(\d{2})(\d{2})", text)
    if m:
        try:
            parsed = datetime.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
        else:
            validate_date_range(parsed)
            return parsed
    raise ValidationError(
        _("“%(value)s” is not a valid date; use YYYY-MM-DD.") % {"value": text[:40]},
        code="invalid_date",
    )


def parse_decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = re.sub(r"[,，¥￥\s]", "", str(value))
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValidationError(
            _("“%(value)s” is not a number.") % {"value": str(value)[:40]}, code="invalid_number"
        ) from None


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(
        _("“%(value)s” is not yes or no.") % {"value": text[:40]}, code="invalid_bool"
    )


def choice_lookup(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """{code, Chinese label, English label (lower-cased): code} for a choice list."""
    lookup: dict[str, str] = {}
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            for code, label in choices:
                lookup.setdefault(str(code).lower(), code)
                lookup.setdefault(str(label).strip().lower(), code)
    for word, code in (extra or {}).items():
        lookup.setdefault(word.lower(), code)
    return lookup


def dictionary_lookup(code: str) -> dict[str, str]:
    """{entry code or label in either language (lower-cased): code} of the active entries."""
    from .providers import dictionary_items

    lookup: dict[str, str] = {}
    for dictionary, item, zh, en, active, _color in dictionary_items():
        if dictionary == code and active:
            for key in (item, zh, en):
                if key:
                    lookup.setdefault(str(key).strip().lower(), item)
    return lookup
