"""The base list/detail/edit view set every module uses, driven by the object-type registry.

Data permissions are applied here once (``RestrictedObjectMixin``): lists and exports start from
``visible_to``; edits and deletes first find the object among the visible ones (404 outside the
view scope) and then require it among the editable ones (403 outside the edit scope).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from . import actions
from .cells import (  # the one cell rendering (``cell`` also imported from here)
    cell,
    cell_kind,
    contact_link,
    rows_of,
)
from .customfields import definitions, is_opted_in
from .dashboard import remember_viewed
from .errors import StaleObjectError
from .export import csv_stream, export_columns, export_formats, export_queryset
from .filters import filtered_queryset
from .history import readable_entries
from .imports import allowed as import_allowed
from .imports import importers
from .lists import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    SORT_IN_MEMORY,
    available_columns,
    chosen_columns,
    count_rows,
    default_columns,
    editable_fields,
    parse_columns,
)
from .models import AuditLog
from .pagination import keyset_page, order_for_sort
from .permissions import SpecialPermission
from .records import dependents, is_soft_deletable
from .registry import ObjectType


class RestrictedObjectMixin(LoginRequiredMixin):
    object_type: ObjectType = None  # type: ignore[assignment]
    action = "view"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.object_type.allows(request.user, self.action):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def visible(self):
        ot = self.object_type
        return ot.model.objects.visible_to(self.request.user).select_related(*ot.select_related)

    def editable(self):
        return self.object_type.model.objects.editable_by(self.request.user)

    def get_visible_object(self, pk):
        return get_object_or_404(self.visible(), pk=pk)

    def get_editable_object(self, pk):
        obj = self.get_visible_object(pk)
        if not self.editable().filter(pk=obj.pk).exists():
            raise PermissionDenied
        return obj

    def base_context(self) -> dict:
        ot = self.object_type
        return {
            "object_type": ot,
            "verbose_name": ot.verbose_name(),
            "verbose_name_plural": ot.verbose_name_plural(),
            "list_url": reverse(ot.url_name("list")),
            "can_add": self.request.user.has_perm(ot.perm("add")),
            "can_change": self.request.user.has_perm(ot.perm("change")),
            "can_delete": ot.deletable and self.request.user.has_perm(ot.perm("delete")),
            "can_export": self.request.user.has_perm(SpecialPermission.EXPORT),
            "owned": ot.model.owner_path is not None,
            "list_links": ot.links_for(self.request.user),
        }


class ObjectListView(RestrictedObjectMixin, TemplateView):
    template_name = "core/object_list.html"

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export:
            return self.export(export)
        if not request.GET and not getattr(request, "htmx", False):
            default = next(
                (v for v in self.saved_views() if v.is_default and v.user_id == request.user.pk),
                None,
            )
            if default is not None:  # opened without parameters: the user's default view
                return redirect(default.get_absolute_url())
            if self.object_type.default_query:  # else the type's own starting point
                return redirect(f"{request.path}?{self.object_type.default_query}")
        return super().get(request, *args, **kwargs)

    def saved_views(self) -> list:
        """The views the user may apply to this list: their own and the shared ones (1 query)."""
        from .models import SavedView

        if not hasattr(self, "_saved_views"):
            self._saved_views = list(
                SavedView.objects.available_to(
                    self.request.user, self.object_type.label
                ).select_related("user")
            )
        return self._saved_views

    def saved_views_context(self, params) -> dict:
        user = self.request.user
        views = self.saved_views()
        current = None
        wanted = self.request.GET.get("view", "")
        if wanted.isdigit():
            current = next((v for v in views if v.pk == int(wanted)), None)
        return {
            "saved_views": views,
            "own_views": [v for v in views if v.user_id == user.pk],
            "shared_views": [v for v in views if v.user_id != user.pk],
            "current_view": current,
            "view_query": actions.clean_view_query(params.urlencode()),
            "can_share_views": user.has_perm(SpecialPermission.SHARE_VIEWS),
        }

    def settings(self):
        """The user's remembered settings of this list (one query per request), or ``None``."""
        from .models import ListSettings

        if not hasattr(self, "_settings"):
            self._settings = ListSettings.objects.filter(
                user=self.request.user, object_type=self.object_type.label
            ).first()
        return self._settings

    def sort(self) -> str:
        ot = self.object_type
        remembered = self.settings()
        sort = self.request.GET.get("sort") or (remembered.sort if remembered else "")
        sort = sort or ot.default_sort
        sortable = ot.visible([*ot.sortable, "pk"], self.request.user)
        if is_opted_in(ot.model):  # every active custom field: ``custom.<code>``
            sortable += ot.visible([d.key for d in definitions(ot.model)], self.request.user)
        return sort if sort.lstrip("-") in sortable else ot.default_sort

    def db_sort(self, sort: str) -> str:
        """The sort as the database reads it: a stored sort key where the type has one (names
        in pinyin order)."""
        key = self.object_type.sort_keys.get(sort.lstrip("-"))
        return ("-" if sort.startswith("-") else "") + key if key else sort

    def page_size(self) -> int:
        remembered = self.settings()
        raw = self.request.GET.get("per_page") or (
            str(remembered.per_page) if remembered and remembered.per_page else ""
        )
        try:
            size = int(raw)
        except ValueError:
            size = DEFAULT_PAGE_SIZE
        return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE

    def columns(self) -> list[str]:
        remembered = self.settings()
        wanted = parse_columns(",".join(self.request.GET.getlist("cols")))
        if wanted is None and remembered is not None:
            wanted = remembered.columns or None
        return chosen_columns(self.object_type, self.request.user, wanted)

    def remember(self, *, sort: str, page_size: int, columns: list[str]) -> None:
        """Keep what the user chose in the URL (page size, columns, sort) for the next visit."""
        get = self.request.GET
        if not any(k in get for k in ("per_page", "cols", "sort")) or "view" in get:
            return
        old = self.settings()
        changes = {}
        if "per_page" in get and (old is None or old.per_page != page_size):
            changes["per_page"] = page_size
        if "cols" in get and (old is None or old.columns != columns):
            changes["columns"] = columns
        if "sort" in get and (old is None or old.sort != sort):
            changes["sort"] = sort
        if changes:
            self._settings = actions.remember_list_settings(
                user=self.request.user, object_type=self.object_type.label, **changes
            )

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return ["core/_object_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs) | self.base_context()
        ot = self.object_type
        user = self.request.user
        filterset, qs = filtered_queryset(ot, user, self.request.GET)
        page_size = self.page_size()
        sort = self.sort()
        names = self.columns()
        self.remember(sort=sort, page_size=page_size, columns=names)
        related = [
            n
            for n in names
            if not n.startswith("custom.")
            and ot.model._meta.get_field(n).many_to_one
            and n not in ot.select_related
        ]
        if related:  # a chosen foreign key column: joined, not read row by row
            qs = qs.select_related(*related)
        total = count_rows(qs)  # before the page: the page's query stays the last one
        page = keyset_page(
            qs,
            sort=self.db_sort(sort),
            page_size=page_size,
            after=self.request.GET.get("after"),
            before=self.request.GET.get("before"),
            last=self.request.GET.get("last") == "1",
            count=False,
            small=(total.exact or total.estimated) and total.value <= SORT_IN_MEMORY,
        )
        params = self.request.GET.copy()
        for key in ("after", "before", "last", "export"):
            params.pop(key, None)

        def url(**extra):
            p = params.copy()
            for k, v in extra.items():
                p.pop(k, None)
                if v is not None:
                    p[k] = v
            return "?" + p.urlencode()

        mass_update_url = _reverse_or_none(ot.url_name("mass_update"))
        cell_url = _reverse_or_none(ot.url_name("cell"), args=[0])
        editable = (
            set(editable_fields(ot, user)) if ctx["can_change"] and mass_update_url else set()
        )
        columns = []
        for name in names:
            if name.startswith("custom."):
                defn = custom_definition(ot, name)
                next_sort = f"-{name}" if sort == name else name
                columns.append(
                    {
                        "name": name,
                        "label": defn.label(),
                        "sort_url": url(sort=next_sort) if defn.is_active else None,
                        "sorted": "asc" if sort == name else "desc" if sort == f"-{name}" else None,
                        "editable": False,
                    }
                )
                continue
            field = ot.model._meta.get_field(name)
            sortable = name in ot.sortable
            next_sort = f"-{name}" if sort == name else name
            columns.append(
                {
                    "name": name,
                    "label": field.verbose_name,
                    "sort_url": url(sort=next_sort) if sortable else None,
                    "sorted": "asc" if sort == name else "desc" if sort == f"-{name}" else None,
                    "editable": name in editable,
                    "kind": cell_kind(field),
                }
            )
        bulk_form = _bulk_form(ot, user) if editable else None
        bulk_fields = [
            (n, ot.model._meta.get_field(n).verbose_name, bulk_form[n])
            for n in editable_fields(ot, user)
            if n in editable
        ]
        chosen = set(names)
        ctx.update(
            filterset=filterset,
            page=page,
            total=total,
            columns=columns,
            rows=rows_of(page.rows, [c["name"] for c in columns]),
            next_url=url(after=page.next_cursor) if page.next_cursor else None,
            prev_url=url(before=page.prev_cursor) if page.prev_cursor else None,
            first_url=url(),
            last_url=url(last="1"),
            export_csv_url=url(export="csv"),
            export_xlsx_url=url(export="xlsx"),
            extra_exports=[
                (fmt, url(export=fmt.code)) for fmt in export_formats.get(ot.label, {}).values()
            ],
            import_url=(
                reverse("core:import_start", args=[ot.label])
                if ot.label in importers and import_allowed(importers[ot.label], user)
                else None
            ),
            page_size=page_size,
            page_sizes=[(n, url(per_page=str(n))) for n in PAGE_SIZES],
            column_choices=[
                (name, label, name in chosen) for name, label in available_columns(ot, user)
            ],
            bulk_fields=bulk_fields,
            mass_update_url=mass_update_url if bulk_fields else None,
            cell_url=cell_url.replace("/0/", "/{pk}/") if cell_url and editable else None,
            query_string=params.urlencode(),
            can_select=bool(bulk_fields)
            or (ctx["can_delete"] and user.has_perm(SpecialPermission.PURGE)),
            **self.saved_views_context(params),
        )
        return ctx

    def export(self, fmt: str):
        if not self.request.user.has_perm(SpecialPermission.EXPORT):
            raise PermissionDenied
        ot = self.object_type
        extra = export_formats.get(ot.label, {}).get(fmt)
        if fmt not in ("csv", "xlsx") and extra is None:
            raise Http404
        filterset, qs = filtered_queryset(ot, self.request.user, self.request.GET)
        qs = order_for_sort(qs, self.db_sort(self.sort()))
        n = qs[: settings.KEHU_EXPORT_SYNC_LIMIT + 1].count()
        params = {
            k: v for k, v in self.request.GET.items() if k not in ("export", "after", "before")
        }
        if extra is not None:
            # Streamed whatever the size: one card per row, constant memory.
            AuditLog.record(
                self.request.user,
                AuditLog.Action.EXPORT,
                {"object_type": ot.label, "format": fmt, "rows": qs.count(), "filters": params},
            )
            response = StreamingHttpResponse(extra.stream(qs), content_type=extra.content_type)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="{ot.name}-{stamp}.{fmt}"'
            return response
        if fmt == "csv" and n <= settings.KEHU_EXPORT_SYNC_LIMIT:
            AuditLog.record(
                self.request.user,
                AuditLog.Action.EXPORT,
                {"object_type": ot.label, "rows": n, "filters": params},
            )
            response = StreamingHttpResponse(
                csv_stream(
                    export_queryset(ot, qs),
                    export_columns(ot, self.request.user),
                    user=self.request.user,
                ),
                content_type="text/csv; charset=utf-8",
            )
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="{ot.name}-{stamp}.csv"'
            return response
        job = actions.start_export(
            user=self.request.user,
            object_type=ot,
            fmt=fmt,
            params=params,
            sort=self.db_sort(self.sort()),
        )
        messages.info(
            self.request, _("The export runs in the background; download it here when it is ready.")
        )
        return redirect("core:job_detail", pk=job.pk)


def list_columns(object_type: ObjectType, user) -> list[str]:
    """The list page's default columns: the object type's, then the custom fields shown in lists."""
    return default_columns(object_type, user)


def custom_definition(object_type: ObjectType, name: str):
    """The definition behind a ``custom.<code>`` column (inactive ones too: nothing breaks)."""
    from .customfields import definition

    defn = definition(object_type.model, name.removeprefix("custom."))
    if defn is None:
        raise ValueError(f"{object_type.label} has no custom field {name!r}")
    return defn


class ObjectDetailView(RestrictedObjectMixin, TemplateView):
    template_name = "core/object_detail.html"

    def get_template_names(self):
        ot = self.object_type
        return [f"{ot.app_label}/{ot.name}_detail.html", self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs) | self.base_context()
        obj = self.get_visible_object(kwargs["pk"])
        remember_viewed(self.request, obj)
        ot = self.object_type
        fields = []
        for name in ot.visible(ot.detail_fields or ot.columns, self.request.user):
            if name.startswith("custom."):
                continue
            field = ot.model._meta.get_field(name)
            fields.append((field.verbose_name, contact_link(field, cell(obj, name))))
        if is_opted_in(ot.model):
            values = obj.custom or {}
            for defn in definitions(ot.model):
                fields.append((defn.label(), defn.display(values.get(defn.code))))
        ctx.update(
            object=obj,
            fields=fields,
            history=readable_entries(
                AuditLog.objects.visible_to(self.request.user, record=obj).select_related(
                    "user", "content_type"
                )[:50],
                self.request.user,
            )
            if self.request.user.has_perm(SpecialPermission.VIEW_AUDIT)
            else None,
            attachments=actions.attachments_for(obj, user=self.request.user),
        )
        return ctx


def save_form(object_type: ObjectType, form, *, user, obj=None):
    """Write a valid form through the type's create or update action (``core.saving``): the
    form validates, the action holds the rules and saves."""
    data = form.action_data()
    if obj is None:
        return object_type.actions.create(user=user, data=data)
    version = form.cleaned_data.get("version")
    return object_type.actions.update(user=user, obj=obj, data=data, version=version)


class ObjectEditView(RestrictedObjectMixin, TemplateView):
    """Create (no pk) or update (pk): the form validates, the type's action saves."""

    template_name = "core/object_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.action = "change" if "pk" in kwargs else "add"
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        pk = self.kwargs.get("pk")
        return self.get_editable_object(pk) if pk else None

    def get_context_data(self, form=None, **kwargs):
        ctx = super().get_context_data(**kwargs) | self.base_context()
        obj = self.get_object()
        ctx.update(
            object=obj, form=form or self.object_type.form(instance=obj, user=self.request.user)
        )
        return ctx

    def post(self, request, *args, **kwargs):
        obj = self.get_object()
        form = self.object_type.form(request.POST, request.FILES, instance=obj, user=request.user)
        if form.is_valid():
            try:
                with transaction.atomic():
                    saved = save_form(self.object_type, form, user=request.user, obj=obj)
            except StaleObjectError as exc:
                form.add_error(None, exc)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Saved %(object)s.") % {"object": saved})
                return HttpResponseRedirect(
                    reverse(self.object_type.url_name("detail"), args=[saved.pk])
                )
        return self.render_to_response(self.get_context_data(form=form, **kwargs))


class ObjectDeleteView(RestrictedObjectMixin, TemplateView):
    template_name = "core/object_delete.html"
    action = "delete"

    def dispatch(self, request, *args, **kwargs):
        if not self.object_type.deletable:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs) | self.base_context()
        obj = self.get_editable_object(kwargs["pk"])
        ctx["object"] = obj
        ctx["soft"] = is_soft_deletable(type(obj))
        found = dependents(obj, user=self.request.user)
        ctx["dependents"] = [d for d in found if d.count]
        ctx["hidden_dependents"] = any(d.hidden for d in found)
        if ctx["soft"]:
            from .providers import get_params

            ctx["retention_days"] = get_params().recycle_retention_days
        return ctx

    def post(self, request, *args, **kwargs):
        obj = self.get_editable_object(kwargs["pk"])
        try:
            self.object_type.actions.delete(user=request.user, obj=obj)
        except ValidationError as exc:  # a rule of the type's delete action
            for message in exc.messages:
                messages.error(request, message)
            return redirect(self.object_type.url_name("detail"), pk=obj.pk)
        except ProtectedError:
            messages.error(
                request,
                _("%(object)s is still used by other records and cannot be deleted.")
                % {"object": obj},
            )
            return redirect(self.object_type.url_name("detail"), pk=obj.pk)
        messages.success(request, _("Deleted %(object)s.") % {"object": obj})
        return redirect(self.object_type.url_name("list"))


class ObjectBulkDeleteView(RestrictedObjectMixin, View):
    """Bulk delete of selected rows: only rows the user may edit, all or nothing, all audited."""

    action = "delete"

    def post(self, request, *args, **kwargs):
        if not self.object_type.deletable or not request.user.has_perm(SpecialPermission.PURGE):
            raise PermissionDenied
        ids = [int(i) for i in request.POST.getlist("pk") if i.isdigit()]
        qs = self.editable().filter(pk__in=ids)
        if qs.count() != len(set(ids)):
            raise PermissionDenied
        try:
            n = self.object_type.actions.bulk_delete(user=request.user, queryset=qs)
        except ValidationError as exc:  # a rule of the type's delete action: nothing deleted
            for message in exc.messages:
                messages.error(request, message)
        except ProtectedError:
            messages.error(
                request,
                _(
                    "Some of the selected records are still used by other records; nothing was deleted."
                ),
            )
        else:
            messages.success(request, _("Deleted %(count)s records.") % {"count": n})
        return redirect(reverse(self.object_type.url_name("list")) + "?" + urlencode(request.GET))


def _reverse_or_none(name: str, args=()):
    """A URL of the type's list features, ``None`` for types whose URLs are written by hand
    without it (they keep the list without in-place editing)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _bulk_form(object_type: ObjectType, user, prefix: str = "bulk"):
    """The type's own form (its choices and checks) for reading edited values; prefixed so its
    inputs sit beside the list's filters."""
    return object_type.form(user=user, prefix=prefix)


def _read_value(object_type: ObjectType, user, name: str, data, prefix: str = "bulk"):
    """The value of field ``name`` as the type's form reads it, or ``ValidationError``."""
    form = _bulk_form(object_type, user, prefix)
    field = form.fields[name]
    raw = field.widget.value_from_datadict(data, {}, form.add_prefix(name))
    return field.clean(raw)


class ObjectMassUpdateView(RestrictedObjectMixin, View):
    """Mass update (批量修改): one field set to one value on the selected rows, each row through
    the type's update action; rows outside the user's edit scope or refused by a rule are left
    unchanged and listed with the reason."""

    action = "change"

    def post(self, request, *args, **kwargs):
        ot = self.object_type
        back = reverse(ot.url_name("list")) + "?" + urlencode(request.GET)
        name = request.POST.get("field", "")
        if name not in editable_fields(ot, request.user):
            messages.error(request, _("Choose a field to change."))
            return redirect(back)
        ids = [int(i) for i in request.POST.getlist("pk") if i.isdigit() and len(i) < 19]
        if not ids:
            messages.error(request, _("Select the records to change."))
            return redirect(back)
        try:
            value = _read_value(ot, request.user, name, request.POST)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        result = actions.mass_update(object_type=ot, user=request.user, pks=ids, data={name: value})
        label = ot.model._meta.get_field(name).verbose_name
        if result["updated"]:
            messages.success(
                request,
                _("Changed %(field)s on %(count)s records.")
                % {"field": label, "count": len(result["updated"])},
            )
        if result["refused"]:
            lines = [
                f"{row_label}: {reason.label}" + (f" ({detail})" if detail else "")
                for _pk, row_label, reason, detail in result["refused"][:20]
            ]
            messages.warning(
                request,
                _("%(count)s records were left unchanged: %(rows)s")
                % {"count": len(result["refused"]), "rows": "; ".join(lines)},
            )
        return redirect(back)


class ObjectCellEditView(RestrictedObjectMixin, TemplateView):
    """Inline edit of one cell of the list (HTMX): GET the editor, POST the value with the
    row's version; a stale version answers the conflict and the current value."""

    action = "change"
    template_name = "core/_cell_edit.html"

    def field_name(self) -> str:
        name = self.request.GET.get("field", "")
        if name not in editable_fields(self.object_type, self.request.user):
            raise Http404
        return name

    def context(self, obj, name, form=None, error=None, saved=False):
        ot = self.object_type
        field = ot.model._meta.get_field(name)
        first = self.request.GET.get("first") == "1"
        if form is None:
            form = ot.form(instance=obj, user=self.request.user, prefix="edit")
        return {
            "object": obj,
            "object_type": ot,
            "name": name,
            "label": field.verbose_name,
            "bound": form[name],
            "value": cell(obj, name),
            "error": error,
            "saved": saved,
            "edit_url": reverse(ot.url_name("cell"), args=[obj.pk])
            + "?"
            + urlencode({"field": name, "first": "1" if first else ""}),
            "first": first,
        }

    def get(self, request, *args, **kwargs):
        obj = self.get_editable_object(kwargs["pk"])
        name = self.field_name()
        ctx = self.context(obj, name)
        ctx["editing"] = request.GET.get("cancel") != "1"
        return self.render_to_response(ctx)

    def post(self, request, *args, **kwargs):
        obj = self.get_editable_object(kwargs["pk"])
        name = self.field_name()
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            value = _read_value(self.object_type, request.user, name, request.POST, "edit")
            obj = actions.edit_record(
                object_type=self.object_type,
                user=request.user,
                obj=obj,
                data={name: value},
                version=version,
            )
        except StaleObjectError as exc:
            current = self.get_visible_object(obj.pk)
            ctx = self.context(current, name, error=exc.messages[0])
            ctx["editing"] = True
            ctx["conflict"] = True
            return self.render_to_response(ctx, status=409)
        except ValidationError as exc:
            obj.refresh_from_db()
            form = self.object_type.form(
                request.POST, instance=obj, user=request.user, prefix="edit"
            )
            ctx = self.context(obj, name, form=form, error=" ".join(exc.messages))
            ctx["editing"] = True
            return self.render_to_response(ctx, status=422)
        return self.render_to_response(self.context(obj, name, saved=True))


def object_urls(object_type: ObjectType) -> list:
    n, p = object_type.name, object_type.plural_name
    kw = {"object_type": object_type}
    return [
        path(f"{p}/", ObjectListView.as_view(**kw), name=f"{n}_list"),
        path(f"{p}/add/", ObjectEditView.as_view(**kw), name=f"{n}_add"),
        path(f"{p}/bulk-delete/", ObjectBulkDeleteView.as_view(**kw), name=f"{n}_bulk_delete"),
        path(f"{p}/mass-update/", ObjectMassUpdateView.as_view(**kw), name=f"{n}_mass_update"),
        path(f"{p}/<int:pk>/cell/", ObjectCellEditView.as_view(**kw), name=f"{n}_cell"),
        path(f"{p}/<int:pk>/", ObjectDetailView.as_view(**kw), name=f"{n}_detail"),
        path(f"{p}/<int:pk>/edit/", ObjectEditView.as_view(**kw), name=f"{n}_edit"),
        path(f"{p}/<int:pk>/delete/", ObjectDeleteView.as_view(**kw), name=f"{n}_delete"),
    ]
