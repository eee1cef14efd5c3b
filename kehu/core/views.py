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
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from . import actions
from .cells import (  # the one cell rendering (``cell`` also imported from here)
    cell,
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
from .models import AuditLog
from .pagination import keyset_page, order_for_sort
from .permissions import SpecialPermission
from .records import dependents, is_soft_deletable
from .registry import ObjectType

PAGE_SIZES = (25, 50, 100)


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

    def sort(self) -> str:
        ot = self.object_type
        sort = self.request.GET.get("sort") or ot.default_sort
        sortable = ot.visible([*ot.sortable, "pk"], self.request.user)
        if is_opted_in(ot.model):  # every active custom field: ``custom.<code>``
            sortable += ot.visible([d.key for d in definitions(ot.model)], self.request.user)
        return sort if sort.lstrip("-") in sortable else ot.default_sort

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return ["core/_object_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs) | self.base_context()
        ot = self.object_type
        filterset, qs = filtered_queryset(ot, self.request.user, self.request.GET)
        try:
            page_size = int(self.request.GET.get("per_page", 50))
        except ValueError:
            page_size = 50
        page_size = page_size if page_size in PAGE_SIZES else 50
        sort = self.sort()
        page = keyset_page(
            qs,
            sort=sort,
            page_size=page_size,
            after=self.request.GET.get("after"),
            before=self.request.GET.get("before"),
            last=self.request.GET.get("last") == "1",
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

        columns = []
        for name in list_columns(ot, self.request.user):
            if name.startswith("custom."):
                defn = custom_definition(ot, name)
                next_sort = f"-{name}" if sort == name else name
                columns.append(
                    {
                        "name": name,
                        "label": defn.label(),
                        "sort_url": url(sort=next_sort) if defn.is_active else None,
                        "sorted": "asc" if sort == name else "desc" if sort == f"-{name}" else None,
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
                }
            )
        ctx.update(
            filterset=filterset,
            page=page,
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
                if ot.label in importers and import_allowed(importers[ot.label], self.request.user)
                else None
            ),
            page_size=page_size,
            page_sizes=PAGE_SIZES,
            query_string=params.urlencode(),
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
        qs = order_for_sort(qs, self.sort())
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
            user=self.request.user, object_type=ot, fmt=fmt, params=params, sort=self.sort()
        )
        messages.info(
            self.request, _("The export runs in the background; download it here when it is ready.")
        )
        return redirect("core:job_detail", pk=job.pk)


def list_columns(object_type: ObjectType, user) -> list[str]:
    """The list page's columns: the object type's, then the custom fields shown in lists."""
    names = object_type.visible(object_type.columns, user)
    if is_opted_in(object_type.model):
        names += [
            d.key for d in definitions(object_type.model) if d.show_in_list and d.key not in names
        ]
    return names


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


def object_urls(object_type: ObjectType) -> list:
    n, p = object_type.name, object_type.plural_name
    kw = {"object_type": object_type}
    return [
        path(f"{p}/", ObjectListView.as_view(**kw), name=f"{n}_list"),
        path(f"{p}/add/", ObjectEditView.as_view(**kw), name=f"{n}_add"),
        path(f"{p}/bulk-delete/", ObjectBulkDeleteView.as_view(**kw), name=f"{n}_bulk_delete"),
        path(f"{p}/<int:pk>/", ObjectDetailView.as_view(**kw), name=f"{n}_detail"),
        path(f"{p}/<int:pk>/edit/", ObjectEditView.as_view(**kw), name=f"{n}_edit"),
        path(f"{p}/<int:pk>/delete/", ObjectDeleteView.as_view(**kw), name=f"{n}_delete"),
    ]
