"""The import pages every importer gets: upload → column mapping → dry-run preview → background
run with a progress bar → result with the error report. Thin: the work is in ``kehu.core.imports``.

Only the user who uploaded a file sees its import (others get 404); every page needs the special
import permission and the importer's own permission (403 otherwise).
"""

from __future__ import annotations

import contextlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import imports
from .access_rules import FROM_PATH, access_rule, own, special
from .models import ImportRun
from .permissions import SpecialPermission
from .registry import find_object_type


def _importer(request, label: str) -> imports.Importer:
    importer = imports.importers.get(label)
    if importer is None:
        raise Http404
    if not imports.allowed(importer, request.user):
        raise PermissionDenied
    return importer


def _run(request, pk: int) -> tuple[ImportRun, imports.Importer]:
    run = get_object_or_404(ImportRun, pk=pk, user=request.user)
    return run, _importer(request, run.object_type)


def _skipped(label: str, rows) -> list[tuple[int, str, str]]:
    """(row number, record name, link) of skipped rows: the existing record each one matched."""
    ot = find_object_type(label)
    out = []
    for number, pk, name in rows:
        url = ""
        if ot is not None and pk is not None:
            with contextlib.suppress(NoReverseMatch):
                url = reverse(ot.url_name("detail"), args=[pk])
        out.append((number, name, url))
    return out


def _list_url(label: str) -> str | None:
    ot = find_object_type(label)
    return reverse(ot.url_name("list")) if ot else None


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding"),
        required=False,
        choices=[("", gettext_lazy("Detect automatically")), *imports.ENCODINGS.items()],
        help_text=gettext_lazy("Only for CSV files; Excel workbooks need no choice."),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Existing records"),
        choices=ImportRun.Mode.choices,
        initial=ImportRun.Mode.SKIP,
        widget=forms.RadioSelect,
    )


@access_rule(special(SpecialPermission.IMPORT, FROM_PATH))
@login_required
def import_template(request, label: str):
    """An empty file to fill in: the importer's columns as headers (in the user's language, as
    the mapping recognises them) and one example row; CSV (UTF-8 with BOM, for Excel), or XLSX
    with ``?format=xlsx``."""
    import csv
    import io

    from django.http import HttpResponse

    importer = _importer(request, label)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    headers, example = imports.template_rows(importer)
    name = _("%(objects)s import template") % {"objects": capfirst(importer.verbose_name)}
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(headers)
        writer.writerow(example)
        data, content_type = buf.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append(headers)
        ws.append(example)
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{fmt}")
    return response


@access_rule(special(SpecialPermission.IMPORT, FROM_PATH))
@login_required
def import_start(request, label: str):
    importer = _importer(request, label)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = imports.create_run(
                user=request.user,
                label=label,
                upload=form.cleaned_data["file"],
                encoding=form.cleaned_data["encoding"],
                mode=form.cleaned_data["mode"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("core:import_map", pk=run.pk)
    return render(
        request,
        "core/import_start.html",
        {
            "importer": importer,
            "form": form,
            "formats": ", ".join(f".{f}" for f in importer.formats),
            "list_url": _list_url(label),
            "runs": ImportRun.objects.filter(user=request.user, object_type=label)[:10],
        },
    )


def _mapping_context(run: ImportRun, importer: imports.Importer, errors=None) -> dict:
    try:
        sample = imports.sample_rows(run)
        read_error = ""
    except ValidationError as exc:
        sample, read_error = [], " ".join(exc.messages)
        if run.file_format == "csv":
            try:
                imports.decode(imports.run_peek(run), run.encoding)
            except ValidationError as full:  # the message that names the likely encoding
                read_error = " ".join(full.messages)
    warning = ""
    if run.file_format == "csv" and not read_error:
        warning = imports.encoding_warning(imports.run_peek(run), run.encoding)
    columns = []
    for i, header in enumerate(run.headers):
        columns.append(
            {
                "index": i,
                "header": header,
                "target": run.mapping[i] if i < len(run.mapping) else "",
                "samples": [row[i] if i < len(row) else "" for row in sample[:3]],
            }
        )
    return {
        "run": run,
        "importer": importer,
        "columns": columns,
        "encodings": imports.ENCODINGS.items(),
        "delimiters": imports.DELIMITERS.items(),
        "modes": ImportRun.Mode.choices,
        "errors": errors or [],
        "read_error": read_error,
        "encoding_warning": warning,
        "required": [f for f in importer.all_fields() if f.required],
        "list_url": _list_url(run.object_type),
    }


@access_rule(own("core.importrun", SpecialPermission.IMPORT))
@login_required
def import_map(request, pk: int):
    run, importer = _run(request, pk)
    if run.status in (ImportRun.Status.RUNNING, ImportRun.Status.DONE, ImportRun.Status.FAILED):
        return redirect("core:import_result", pk=run.pk)
    if request.method == "POST":
        mapping = [request.POST.get(f"col{i}", "") for i in range(len(run.headers))]
        try:
            imports.set_mapping(
                run=run,
                mapping=mapping,
                mode=request.POST.get("mode", ""),
                encoding=request.POST.get("encoding", ""),
                delimiter=request.POST.get("delimiter", ""),
            )
        except ValidationError as exc:
            run.mapping = mapping
            ctx = _mapping_context(run, importer, exc.messages)
            return render(request, "core/import_map.html", ctx, status=400)
        return redirect("core:import_preview", pk=run.pk)
    return render(request, "core/import_map.html", _mapping_context(run, importer))


@access_rule(own("core.importrun", SpecialPermission.IMPORT))
@login_required
@require_POST
def import_reread(request, pk: int):
    """HTMX: read the file again in the encoding/delimiter chosen; re-render the mapping card."""
    run, importer = _run(request, pk)
    if run.status not in (ImportRun.Status.UPLOADED, ImportRun.Status.MAPPED):
        raise Http404
    # On a ValidationError the mapping card shows why the file cannot be read this way.
    with contextlib.suppress(ValidationError):
        imports.reread_headers(
            run,
            encoding=request.POST.get("encoding", ""),
            delimiter=request.POST.get("delimiter", ""),
        )
    return render(request, "core/_import_mapping.html", _mapping_context(run, importer))


@access_rule(own("core.importrun", SpecialPermission.IMPORT))
@login_required
def import_preview(request, pk: int):
    run, importer = _run(request, pk)
    if run.status != ImportRun.Status.MAPPED:
        return redirect(
            "core:import_map" if run.status == ImportRun.Status.UPLOADED else "core:import_result",
            pk=run.pk,
        )
    if request.method == "POST":
        try:
            imports.start_run(run=run)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("core:import_map", pk=run.pk)
        return redirect("core:import_result", pk=run.pk)
    try:
        outcome = imports.dry_run(run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("core:import_map", pk=run.pk)
    shown = {key for row in outcome.preview for key in row.preview}
    fields = [f for f in importer.all_fields() if f.name in run.mapping and f.name in shown]
    preview_rows = [
        (row, [row.preview.get(f.name, "") for f in fields], row.preview.get("contact", ""))
        for row in outcome.preview
    ]
    return render(
        request,
        "core/import_preview.html",
        {
            "run": run,
            "importer": importer,
            "outcome": outcome,
            "fields": fields,
            "preview_rows": preview_rows,
            "has_contact": any(r.preview.get("contact") for r in outcome.preview),
            "limit": imports.PREVIEW_LIMIT,
            "list_url": _list_url(run.object_type),
            "skipped_rows": _skipped(
                run.object_type, [(r.number, *(r.record or (None, ""))) for r in outcome.skipped]
            ),
        },
    )


@access_rule(own("core.importrun", SpecialPermission.IMPORT))
@login_required
def import_result(request, pk: int):
    run, importer = _run(request, pk)
    if run.status in (ImportRun.Status.UPLOADED, ImportRun.Status.MAPPED):
        return redirect("core:import_map", pk=run.pk)
    template = (
        "core/_import_status.html" if getattr(request, "htmx", False) else "core/import_result.html"
    )
    return render(
        request,
        template,
        {
            "run": run,
            "job": run.job,
            "importer": importer,
            "done": run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED),
            "list_url": _list_url(run.object_type),
            "skipped_rows": _skipped(run.object_type, run.skipped_rows or []),
        },
    )


@access_rule(own("core.importrun", SpecialPermission.IMPORT))
@login_required
def import_errors(request, pk: int):
    run, _importer_ = _run(request, pk)
    if not run.error_file:
        raise Http404
    return FileResponse(
        run.error_file.open("rb"), as_attachment=True, filename=run.error_download_name()
    )
