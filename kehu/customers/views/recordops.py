"""Pages of the record operations: recycle bin, copy, merge and its undo, erasure of personal
data. Thin: permissions and data scopes as everywhere (404 outside the view scope, 403 without
the right), the rules in ``actions.recordops``."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from kehu.core import records
from kehu.core.access_rules import FROM_PATH, access_rule, perm, record, special
from kehu.core.permissions import HIDDEN_RECORD, SpecialPermission
from kehu.core.registry import get_object_type
from kehu.core.views import ObjectEditView, cell
from kehu.system.params import get_params

from .. import actions
from ..actions.recordops import CONTACT_MERGE, CUSTOMER_MERGE, PERSONAL_FIELDS, MergeKind
from ..forms import CustomerForm
from ..models import Contact, Customer

KINDS = {"customer": CUSTOMER_MERGE, "contact": CONTACT_MERGE}


def _kind(name: str) -> MergeKind:
    try:
        return KINDS[name]
    except KeyError:
        raise Http404 from None


def _ids(values) -> list[int]:
    seen: list[int] = []
    for value in values:
        if str(value).isdigit() and int(value) not in seen:
            seen.append(int(value))
    return seen


# --- Recycle bin --------------------------------------------------------------------------------


@access_rule(perm("customers.delete_customer"))
class RecycleBinView(LoginRequiredMixin, View):
    """Deleted customers or contacts the user may see, restorable within the retention period."""

    def get(self, request, type_name="customer"):
        kind = _kind(request.GET.get("type", type_name))
        model = kind.model
        if not request.user.has_perm(f"customers.delete_{model._meta.model_name}"):
            raise PermissionDenied
        days = get_params().recycle_retention_days
        rows = (
            model.all_objects.visible_to(request.user)
            .filter(deleted_at__isnull=False)
            .select_related("deleted_by", *(["customer"] if model is Contact else []))
            .order_by("-deleted_at", "-pk")[:200]
        )
        tabs = [
            (name, k.model._meta.verbose_name_plural)
            for name, k in KINDS.items()
            if request.user.has_perm(f"customers.delete_{k.model._meta.model_name}")
        ]
        return render(
            request,
            "customers/recycle_bin.html",
            {
                "type_name": model._meta.model_name,
                "tabs": tabs,
                "verbose_name_plural": model._meta.verbose_name_plural,
                "rows": [(obj, obj.deleted_at + datetime.timedelta(days=days)) for obj in rows],
                "retention_days": days,
            },
        )


@access_rule(record(FROM_PATH))
class RestoreView(LoginRequiredMixin, View):
    def post(self, request, type_name, pk):
        kind = _kind(type_name)
        model = kind.model
        if not request.user.has_perm(f"customers.delete_{model._meta.model_name}"):
            raise PermissionDenied
        obj = get_object_or_404(
            model.all_objects.visible_to(request.user).filter(deleted_at__isnull=False), pk=pk
        )
        try:
            actions.restore_record(obj=obj, user=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(reverse("customers:recycle_bin") + f"?type={type_name}")
        messages.success(request, _("Restored %(object)s.") % {"object": obj})
        return redirect(obj.get_absolute_url())


# --- Copy ---------------------------------------------------------------------------------------


class CustomerCopyForm(CustomerForm):
    copy_contacts = forms.BooleanField(
        label=gettext_lazy("Copy the contacts too"), required=False, initial=True
    )


COPIED_FIELDS = [
    f for f in CustomerForm._meta.fields if f not in ("number", "mnemonic", "registered_on")
]


class CustomerCopyView(ObjectEditView):
    """The new-customer form prefilled from another customer (a new number, "(copy)" name)."""

    def dispatch(self, request, *args, **kwargs):
        self.source_pk = kwargs.pop("pk")
        return super().dispatch(request, *args, **kwargs)

    def source(self) -> Customer:
        return self.get_visible_object(self.source_pk)

    def get_context_data(self, form=None, **kwargs):
        if form is None:
            source = self.source()
            copy = Customer(**{f: getattr(source, f) for f in COPIED_FIELDS if f != "parent"})
            copy.parent_id = source.parent_id
            copy.name = _("%(name)s (copy)") % {"name": source.name}
            form = CustomerCopyForm(instance=copy, user=self.request.user)
        ctx = super().get_context_data(form=form, **kwargs)
        ctx["copy_of"] = self.source()
        return ctx

    def post(self, request, *args, **kwargs):
        source = self.source()
        form = CustomerCopyForm(request.POST, instance=Customer(), user=request.user)
        if form.is_valid():
            try:
                new = actions.copy_customer(
                    source=source,
                    customer=form.save(commit=False),
                    user=request.user,
                    with_contacts=form.cleaned_data["copy_contacts"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Copied %(object)s.") % {"object": source})
                return HttpResponseRedirect(new.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, **kwargs))


# --- Merge --------------------------------------------------------------------------------------


def _masked_cells(objs, name: str, field, user) -> list:
    """The records' values of ``name``; a related record ``user`` may not see (a parent
    company in another branch) shows as hidden, never by name."""
    values = [cell(o, name) for o in objs]
    related = field.related_model if field.many_to_one else None
    if related is None or getattr(related, "owner_path", None) is None:
        return values
    keys = [getattr(o, field.attname) for o in objs]
    seen = set(
        related.objects.visible_to(user)
        .filter(pk__in={k for k in keys if k is not None})
        .values_list("pk", flat=True)
    )
    return [
        str(HIDDEN_RECORD) if k is not None and k not in seen else v
        for k, v in zip(keys, values, strict=True)
    ]


@access_rule(special(SpecialPermission.MERGE, "customers.customer"))
class MergeView(LoginRequiredMixin, View):
    """Side by side: pick the surviving record and, per field, the surviving value."""

    kind: MergeKind = CUSTOMER_MERGE

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        model = self.kind.model
        if not (
            request.user.has_perm(SpecialPermission.MERGE)
            and request.user.has_perm(f"customers.change_{model._meta.model_name}")
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def objects(self, ids):
        model = self.kind.model
        found = {o.pk: o for o in model.objects.visible_to(self.request.user).filter(pk__in=ids)}
        if len(found) != len(ids):
            raise Http404
        return [found[pk] for pk in ids]

    def context(self, objs, survivor_pk, chosen=None, error=None):
        kind = self.kind
        model = kind.model
        ot = get_object_type(model)
        names = ot.visible(kind.fields, self.request.user)
        rows = []
        for name in names:
            field = model._meta.get_field(name)
            values = _masked_cells(objs, name, field, self.request.user)
            differ = len({str(v) for v in values}) > 1
            pick = (chosen or {}).get(name, survivor_pk)
            rows.append(
                {
                    "name": name,
                    "label": field.verbose_name,
                    "differ": differ,
                    "cells": [(o.pk, v, o.pk == pick) for o, v in zip(objs, values, strict=True)],
                }
            )
        dependents = {o.pk: records.dependents(o) for o in objs}
        labels = {}
        for deps in dependents.values():
            for d in deps:
                labels[d.label] = d.name
        moving = [
            (
                name,
                [next((d.count for d in dependents[o.pk] if d.label == label), 0) for o in objs],
            )
            for label, name in sorted(labels.items())
        ]
        return {
            "kind_name": model._meta.model_name,
            "verbose_name_plural": model._meta.verbose_name_plural,
            "list_url": reverse(ot.url_name("list")),
            "objects": objs,
            "survivor_pk": survivor_pk,
            "rows": rows,
            "moving": moving,
            "error": error,
        }

    def get(self, request):
        ids = _ids(request.GET.getlist("ids"))
        if len(ids) < 2:
            numbers = [n.strip() for n in request.GET.get("numbers", "").split(",") if n.strip()]
            if numbers and self.kind.model is Customer:
                found = Customer.objects.visible_to(request.user).filter(number__in=numbers)
                ids = _ids([*ids, *found.values_list("pk", flat=True)])
            if len(ids) < 2:
                return render(
                    request,
                    "customers/merge_pick.html",
                    {
                        "kind_name": self.kind.model._meta.model_name,
                        "verbose_name_plural": self.kind.model._meta.verbose_name_plural,
                        "numbers": request.GET.get("numbers", ""),
                        "asked": bool(request.GET),
                    },
                )
        objs = self.objects(ids)
        survivor = _ids([request.GET.get("survivor", "")])
        survivor_pk = survivor[0] if survivor and survivor[0] in ids else ids[0]
        return render(request, "customers/merge.html", self.context(objs, survivor_pk))

    def post(self, request):
        ids = _ids(request.POST.getlist("ids"))
        if len(ids) < 2:
            raise Http404
        objs = self.objects(ids)
        survivor_pk = _ids([request.POST.get("survivor", "")])
        if not survivor_pk or survivor_pk[0] not in ids:
            error = ValidationError(
                _("Choose the record that survives among the records being merged."),
                code="survivor",
            )
            ctx = self.context(objs, ids[0], error=error)
            return render(request, "customers/merge.html", ctx, status=400)
        survivor_pk = survivor_pk[0]
        values = {}
        for name in self.kind.fields:
            picked = _ids([request.POST.get(f"value_{name}", "")])
            if picked and picked[0] in ids:
                values[name] = picked[0]
        versions = {}
        for pk in ids:
            v = request.POST.get(f"version_{pk}", "")
            if v.isdigit():
                versions[pk] = int(v)
        by_pk = {o.pk: o for o in objs}
        try:
            merge = actions.merge_records(
                self.kind,
                survivor=by_pk[survivor_pk],
                others=[o for o in objs if o.pk != survivor_pk],
                values=values,
                user=request.user,
                versions=versions,
            )
        except ValidationError as exc:
            ctx = self.context(objs, survivor_pk, chosen=values, error=exc)
            return render(request, "customers/merge.html", ctx, status=409)
        messages.success(
            request,
            ngettext(
                "Merged %(count)s record into %(object)s.",
                "Merged %(count)s records into %(object)s.",
                len(ids) - 1,
            )
            % {"count": len(ids) - 1, "object": merge.survivor},
        )
        return redirect(merge.survivor.get_absolute_url())


@access_rule(special(SpecialPermission.MERGE, "customers.contact"))
class ContactMergeView(MergeView):
    kind = CONTACT_MERGE


def _visible_merges(kind: MergeKind, user):
    survivors = kind.model.all_objects.visible_to(user).values("pk")
    return kind.merge_model.objects.filter(survivor__in=survivors).select_related(
        "user", "undone_by"
    )


@access_rule(perm("customers.view_customer"))
class MergeListView(LoginRequiredMixin, View):
    """Merge history of the records the user may see."""

    kind: MergeKind = CUSTOMER_MERGE

    def get(self, request):
        model = self.kind.model
        if not request.user.has_perm(f"customers.view_{model._meta.model_name}"):
            raise PermissionDenied
        merges = list(_visible_merges(self.kind, request.user)[:200])
        snapshots = actions.visible_snapshots(merges=merges, user=request.user)
        survivors = {
            o.pk: o
            for o in model.all_objects.filter(pk__in=[m.survivor_id for m in merges]).only(
                "pk", "name"
            )
        }
        rows = [
            (
                m,
                survivors.get(m.survivor_id),
                [s.get("name", "") for s in snapshots[m.pk]["losers"].values()],
                len(m.moved),
            )
            for m in merges
        ]
        return render(
            request,
            "customers/merge_list.html",
            {
                "kind_name": model._meta.model_name,
                "verbose_name_plural": model._meta.verbose_name_plural,
                "rows": rows,
            },
        )


@access_rule(perm("customers.view_contact"))
class ContactMergeListView(MergeListView):
    kind = CONTACT_MERGE


@access_rule(record("customers.customermerge", "customers.view_customer"))
class MergeUndoView(LoginRequiredMixin, View):
    """The merge with what undoing it will do (edits since kept and listed) and a confirm."""

    kind: MergeKind = CUSTOMER_MERGE

    def merge(self, pk):
        model = self.kind.model
        if not self.request.user.has_perm(f"customers.view_{model._meta.model_name}"):
            raise PermissionDenied
        return get_object_or_404(_visible_merges(self.kind, self.request.user), pk=pk)

    def render_page(self, merge, error=None, status=200):
        preview = actions.preview_undo_for(merge, user=self.request.user)
        model = self.kind.model
        return render(
            self.request,
            "customers/merge_undo.html",
            {
                "kind_name": model._meta.model_name,
                "verbose_name_plural": model._meta.verbose_name_plural,
                "merge": merge,
                "survivor": model._base_manager.get(pk=merge.survivor_id),
                "losers": [
                    (pk, snap.get("name", ""), snap.get("number", ""))
                    for pk, snap in actions.visible_snapshot(merge=merge, user=self.request.user)[
                        "losers"
                    ].items()
                ],
                "preview": preview,
                "counts": [(_label(label), n) for label, n in sorted(preview.counts.items())],
                "can_undo": not merge.undone_at
                and actions.may_undo(merge=merge, user=self.request.user, preview=preview),
                "error": error,
            },
            status=status,
        )

    def get(self, request, pk):
        return self.render_page(self.merge(pk))

    def post(self, request, pk):
        merge = self.merge(pk)
        try:
            actions.undo_merge(merge=merge, user=request.user)
        except ValidationError as exc:
            return self.render_page(merge, error=exc, status=409)
        messages.success(request, _("The merge was undone."))
        return redirect(merge.survivor.get_absolute_url())


def _label(label: str) -> str:
    from django.apps import apps

    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except LookupError:
        return label


@access_rule(record("customers.contactmerge", "customers.view_contact"))
class ContactMergeUndoView(MergeUndoView):
    kind = CONTACT_MERGE


# --- Erasure ------------------------------------------------------------------------------------


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (the request this answers)"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        max_length=500,
    )
    confirm = forms.CharField(
        label=gettext_lazy("Type the name of the person to confirm"),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected.strip():
            raise ValidationError(_("The name you typed does not match."))
        return value


@access_rule(special(SpecialPermission.ERASE_PERSONAL_DATA, "customers.customer"))
class EraseView(LoginRequiredMixin, View):
    model = Customer

    def record(self, pk):
        if not self.request.user.has_perm(SpecialPermission.ERASE_PERSONAL_DATA):
            raise PermissionDenied
        return get_object_or_404(self.model.objects.visible_to(self.request.user), pk=pk)

    def page(self, obj, form, status=200):
        fields = [
            str(self.model._meta.get_field(n).verbose_name) for n in PERSONAL_FIELDS[self.model]
        ]
        return render(
            self.request,
            "customers/erase.html",
            {
                "object": obj,
                "form": form,
                "fields": fields,
                "verbose_name": self.model._meta.verbose_name,
            },
            status=status,
        )

    def get(self, request, pk):
        obj = self.record(pk)
        return self.page(obj, ErasureForm(expected=obj.name))

    def post(self, request, pk):
        obj = self.record(pk)
        form = ErasureForm(request.POST, expected=obj.name)
        if form.is_valid():
            try:
                actions.erase_personal_data(
                    record=obj, user=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The personal data was erased."))
                return redirect(obj.get_absolute_url())
        return self.page(obj, form, status=400)


@access_rule(special(SpecialPermission.ERASE_PERSONAL_DATA, "customers.contact"))
class ContactEraseView(EraseView):
    model = Contact
