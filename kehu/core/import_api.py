"""``/api/imports/``: the import pages' steps through the API — upload a file for an importer,
set the column mapping and options, dry run, start the background import, poll it, download the
error report. Thin: the work is in :mod:`kehu.core.imports`, as for the pages.

Same rules as the pages: every call needs the special import permission and the importer's own
permission (403); a user sees only their own imports (another user's answers 404) — a superuser
sees everyone's, but only the user who uploaded a file changes or starts its import.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from . import imports
from .access_rules import access_rule, own
from .models import ImportRun

MAPPING_HELP = (
    'Either one field name per column of the file, in order ("" = column not imported), or an '
    "object {column header: field name} (columns not named are not imported). In a multipart "
    "upload, send it as a JSON string. Field names: GET /api/imports/importers/."
)


# --- Serializers ----------------------------------------------------------------------------


class ImportFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    help = serializers.CharField()


class ImporterSerializer(serializers.Serializer):
    object_type = serializers.CharField(help_text="The importer's label, e.g. customers.customer.")
    name = serializers.CharField()
    formats = serializers.ListField(child=serializers.CharField())
    fields = ImportFieldSerializer(many=True)


def importer_data(importer: imports.Importer) -> dict:
    return {
        "object_type": importer.label,
        "name": str(capfirst(importer.verbose_name)),
        "formats": list(importer.formats),
        "fields": [
            {
                "name": f.name,
                "label": str(capfirst(f.label)),
                "required": f.required,
                "help": str(f.help or ""),
            }
            for f in importer.all_fields()
        ],
    }


class ProgressSerializer(serializers.Serializer):
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField()
    job_status = serializers.CharField(allow_null=True)


class ImportRunSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    error_report = serializers.SerializerMethodField(
        help_text="URL of the error report (rows not imported, with row number and reason), "
        "once the import has finished with such rows."
    )

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "user",
            "object_type",
            "file_name",
            "file_format",
            "encoding",
            "delimiter",
            "headers",
            "mapping",
            "mode",
            "status",
            "progress",
            "total_rows",
            "created",
            "updated",
            "skipped",
            "duplicates",
            "errors",
            "message",
            "error_report",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema(responses=ProgressSerializer)
    def get_progress(self, run: ImportRun) -> dict:
        job = run.job
        if job is None:
            return {"rows_done": 0, "rows_total": None, "percent": 0, "job_status": None}
        percent = 100 if run.status == ImportRun.Status.DONE else job.percent
        return {
            "rows_done": job.progress,
            "rows_total": job.total,
            "percent": percent,
            "job_status": job.status,
        }

    def get_error_report(self, run: ImportRun) -> str | None:
        if not run.error_file:
            return None
        request = self.context.get("request")
        path = f"/api/imports/{run.pk}/errors/"
        return request.build_absolute_uri(path) if request else path


class UploadSerializer(serializers.Serializer):
    object_type = serializers.CharField(
        help_text="Importer label: customers.customer or customers.contact."
    )
    file = serializers.FileField(help_text="CSV, XLSX (or vCard for contacts).")
    encoding = serializers.ChoiceField(
        choices=list(imports.ENCODINGS),
        required=False,
        allow_blank=True,
        help_text="CSV only; detected when left out.",
    )
    delimiter = serializers.ChoiceField(
        choices=list(imports.DELIMITERS), required=False, allow_blank=True
    )
    mode = serializers.ChoiceField(choices=ImportRun.Mode.choices, required=False)
    mapping = serializers.JSONField(required=False, help_text=MAPPING_HELP)


class MappingSerializer(serializers.Serializer):
    mapping = serializers.JSONField(required=False, help_text=MAPPING_HELP)
    mode = serializers.ChoiceField(choices=ImportRun.Mode.choices, required=False)
    encoding = serializers.ChoiceField(
        choices=list(imports.ENCODINGS),
        required=False,
        help_text="CSV only: read the file again in this encoding (the headers may change).",
    )
    delimiter = serializers.ChoiceField(choices=list(imports.DELIMITERS), required=False)


class RowResultSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number as a spreadsheet shows it.")
    outcome = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())
    values = serializers.DictField(help_text="What would be saved (created/updated rows).")


class DryRunSerializer(serializers.Serializer):
    rows_checked = serializers.IntegerField()
    truncated = serializers.BooleanField(
        help_text="True when only the first rows were checked (the import itself reads all)."
    )
    counts = serializers.DictField(child=serializers.IntegerField())
    preview = RowResultSerializer(many=True)
    problems = RowResultSerializer(many=True)


# --- Helpers ----------------------------------------------------------------------------------


def _importer_or_400(label: str) -> imports.Importer:
    importer = imports.importers.get(label)
    if importer is None:
        raise serializers.ValidationError(
            {
                "object_type": [
                    _("Unknown importer “%(label)s”; choose one of: %(labels)s.")
                    % {"label": label[:100], "labels": ", ".join(sorted(imports.importers))}
                ]
            }
        )
    return importer


def _check_allowed(importer: imports.Importer, user) -> None:
    if not imports.allowed(importer, user):
        raise PermissionDenied(
            _("You may not import %(objects)s.") % {"objects": str(importer.verbose_name)}
        )


def _mapping_list(run: ImportRun, importer: imports.Importer, value) -> list[str]:
    """The mapping as one field name per column, or a 400 that says what is wrong with it."""

    def bad(message: str):
        return serializers.ValidationError({"mapping": [message]})

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad(_("The mapping is not valid JSON.")) from None
    if isinstance(value, dict):
        unknown = [h for h in value if h not in run.headers]
        if unknown:
            raise bad(
                _("The file has no column “%(column)s”; its columns are: %(columns)s.")
                % {"column": str(unknown[0])[:100], "columns": ", ".join(run.headers)}
            )
        mapping = [value.get(h) or "" for h in run.headers]
    elif isinstance(value, list):
        if len(value) != len(run.headers):
            raise bad(
                _("The mapping has %(n)s entries; the file has %(columns)s columns.")
                % {"n": len(value), "columns": len(run.headers)}
            )
        mapping = [v or "" for v in value]
    else:
        raise bad(_("Send a list of field names or an object {column: field}."))
    if any(not isinstance(m, str) for m in mapping):
        raise bad(_("Field names must be text."))
    valid = [f.name for f in importer.all_fields()]
    unknown = [m for m in mapping if m and m not in valid]
    if unknown:
        raise bad(
            _("Unknown field “%(field)s”; the fields of this import are: %(fields)s.")
            % {"field": unknown[0][:100], "fields": ", ".join(valid)}
        )
    return mapping


def _validation(exc: ValidationError, key: str = "non_field_errors"):
    return serializers.ValidationError({key: exc.messages})


# --- The viewset ------------------------------------------------------------------------------


@access_rule(own("core.importrun"))  # starting a run checks the import permission
@extend_schema(tags=["imports"])
class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of CSV/XLSX files (vCard for contacts): ``POST /api/imports/`` uploads a file,
    then ``mapping/`` (optional: the mapping guessed from the headers is used otherwise),
    ``dry-run/``, ``start/``; poll ``GET /api/imports/{id}/`` until ``status`` is ``done``,
    then ``errors/`` gives the rows that were not imported."""

    serializer_class = ImportRunSerializer
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = None
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ImportRun.objects.none()
        user = self.request.user
        qs = ImportRun.objects.select_related("job")
        if not user.is_superuser:
            qs = qs.filter(user=user)
        allowed = [label for label, imp in imports.importers.items() if imports.allowed(imp, user)]
        qs = qs.filter(object_type__in=allowed)
        label = self.request.query_params.get("object_type")
        if label and label not in imports.importers:  # no query with junk (a NUL byte: 500)
            raise serializers.ValidationError(
                {"object_type": [_("Unknown importer “%(label)s”.") % {"label": label[:100]}]}
            )
        return qs.filter(object_type=label) if label else qs

    def _own_run(self) -> tuple[ImportRun, imports.Importer]:
        run = self.get_object()
        importer = imports.importers.get(run.object_type)
        if importer is None:
            raise Http404
        _check_allowed(importer, self.request.user)
        if run.user_id != self.request.user.pk:
            raise PermissionDenied(
                _("Only the user who uploaded the file may change or start this import.")
            )
        return run, importer

    def _answer(self, run: ImportRun, code: int = status.HTTP_200_OK) -> Response:
        run = ImportRun.objects.select_related("job").get(pk=run.pk)
        return Response(self.get_serializer(run).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("object_type", str, description="Only imports into this importer.")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: ImportRunSerializer},
        description="Upload a file: its encoding and delimiter are detected, its headers read and "
        "a mapping guessed (or the one sent checked). Nothing is imported yet.",
    )
    def create(self, request):
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        importer = _importer_or_400(v["object_type"])
        _check_allowed(importer, request.user)
        try:
            run = imports.create_run(
                user=request.user,
                label=importer.label,
                upload=v["file"],
                encoding=v.get("encoding", ""),
                mode=v.get("mode", ""),
            )
        except ValidationError as exc:
            raise _validation(exc, "file") from None
        if "mapping" in v or v.get("delimiter"):
            try:
                self._set_mapping(run, importer, v)
            except serializers.ValidationError:
                run.file.delete(save=False)  # a refused upload leaves nothing behind
                run.delete()
                raise
        return self._answer(run, status.HTTP_201_CREATED)

    def _set_mapping(self, run: ImportRun, importer: imports.Importer, v: dict) -> None:
        if run.status not in (ImportRun.Status.UPLOADED, ImportRun.Status.MAPPED):
            raise serializers.ValidationError(
                {"non_field_errors": [_("This import has already run.")]}
            )
        encoding, delimiter = v.get("encoding") or "", v.get("delimiter") or ""
        if run.file_format == "csv" and (
            (encoding and encoding != run.encoding) or (delimiter and delimiter != run.delimiter)
        ):
            try:
                imports.reread_headers(run, encoding=encoding or run.encoding, delimiter=delimiter)
            except ValidationError as exc:
                raise _validation(exc, "encoding") from None
        mapping = run.mapping
        if v.get("mapping") is not None:
            mapping = _mapping_list(run, importer, v["mapping"])
        try:
            imports.set_mapping(
                run=run,
                mapping=mapping,
                mode=v.get("mode") or run.mode,
                encoding=run.encoding,
                delimiter=run.delimiter,
            )
        except ValidationError as exc:
            key = "mode" if getattr(exc, "code", None) == "mode" else "mapping"
            raise _validation(exc, key) from None

    def _mapped(self, run: ImportRun, importer: imports.Importer) -> None:
        """A run still on the guessed mapping: check and take it (as the mapping page would)."""
        if run.status == ImportRun.Status.UPLOADED:
            self._set_mapping(run, importer, {})

    @extend_schema(request=MappingSerializer, responses=ImportRunSerializer)
    @action(detail=True, methods=["post"], url_path="mapping")
    def set_mapping(self, request, pk=None):
        """Set the column mapping, what to do with existing records (mode), and for CSV the
        encoding and delimiter. A bad mapping (unknown field or column, a field twice, a
        required field without a column) answers 400 saying so."""
        run, importer = self._own_run()
        data = MappingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self._set_mapping(run, importer, data.validated_data)
        return self._answer(run)

    @extend_schema(request=None, responses=DryRunSerializer)
    @action(detail=True, methods=["post"], url_path="dry-run")
    def dry_run(self, request, pk=None):
        """Validate the first rows (up to 5,000) without writing anything: what would be
        created, updated, skipped, and the rows with errors and why."""
        run, importer = self._own_run()
        if run.status not in (ImportRun.Status.UPLOADED, ImportRun.Status.MAPPED):
            raise serializers.ValidationError(
                {"non_field_errors": [_("This import has already run.")]}
            )
        self._mapped(run, importer)
        try:
            outcome = imports.dry_run(run)
        except ValidationError as exc:
            raise _validation(exc, "file") from None

        def row_data(row: imports.Row) -> dict:
            values = {k: v for k, v in row.preview.items() if v not in ("", None)}
            return {
                "row": row.number,
                "outcome": row.outcome,
                "errors": row.errors,
                "values": values,
            }

        return Response(
            {
                "rows_checked": outcome.total,
                "truncated": outcome.truncated,
                "counts": outcome.counts,
                "preview": [row_data(r) for r in outcome.preview],
                "problems": [row_data(r) for r in outcome.problems],
            }
        )

    @extend_schema(request=None, responses={202: ImportRunSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start the import as a background job; poll ``GET /api/imports/{id}/`` for progress
        and counts."""
        run, importer = self._own_run()
        self._mapped(run, importer)
        try:
            imports.start_run(run=run)
        except ValidationError as exc:
            raise _validation(exc) from None
        return self._answer(run, status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The error report (CSV or XLSX)."
            ),
            404: OpenApiResponse(description="No error report (yet)."),
        }
    )
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        """The rows that were not imported: original cells, row number and reason."""
        run = self.get_object()
        importer = imports.importers.get(run.object_type)
        if importer is None or not run.error_file:
            raise Http404
        _check_allowed(importer, request.user)
        return FileResponse(
            run.error_file.open("rb"), as_attachment=True, filename=run.error_download_name()
        )

    @extend_schema(responses=ImporterSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def importers(self, request):
        """The importers the user may use, with their fields (the names a mapping uses)."""
        return Response(
            [
                importer_data(imp)
                for _label, imp in sorted(imports.importers.items())
                if imports.allowed(imp, request.user)
            ]
        )


def register(router) -> None:
    router.register("imports", ImportRunViewSet, basename="import")
