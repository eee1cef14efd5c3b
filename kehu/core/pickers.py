"""Searchable pickers (选择器): one autocomplete widget for every relation, one search endpoint.

Every ``ModelChoiceField`` / ``ModelMultipleChoiceField`` of a ``BaseModelForm`` whose widget is
a plain ``<select>`` and whose model has a registered object type (people included: the user
model is one) is given :class:`PickerWidget` / :class:`PickerMultipleWidget` after the form's
``__init__`` -- the subclass's own ``__init__`` included, so a field added or narrowed there gets
it too (:func:`apply_pickers`). Other forms call ``apply_pickers(form, user)`` themselves.

The widget renders only the chosen records (never one ``<option>`` per row) and a search box;
``kehu/core/static/kehu/picker.js`` asks ``/picker/<app.model>/?q=…&k=…`` as the user types.

**What the endpoint searches is exactly the field's queryset.** When the widget renders, the
field's query (what this form offers this user: ``visible_to``, ``editable_by``, the people the
user may assign to …) is pickled into the cache under a key bound to the user (:func:`remember`)
and the widget's URL carries that key. The endpoint reads it back, refuses a key of another user
and searches that queryset; so the picker never offers what the form would refuse, and nothing a
form does not show. Without a key (or once it expired) the endpoint searches the type's
restricted queryset (``visible_to``, with the type's view permission): the data permissions are
those of the restricted queryset in both cases, never an ad hoc owner filter.

Matching: a ``Searchable`` model goes through the search index (``core.search.ranked_search``:
name, pinyin, initials, number, phone); other types match their object type's
``search_fields`` -- and, when the candidates are few (people, roles, departments), the pinyin and
initials of the first one in Python (:data:`PINYIN_SCAN_LIMIT` rows, one query).

Labels: ``picker_label()`` of the model when it has one (else ``str``), with a context line from
``picker_context()`` (else ``search_summary()``): employees show their department, so two people
of the same name are told apart; customers their number and city.
"""

from __future__ import annotations

import hashlib
import pickle

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .stores import find_object_type
from .text import compact, pinyin_forms

#: Hits returned per request.
LIMIT = 20
#: Longest query read (characters).
MAX_QUERY = 100
#: Non-indexed types with at most this many candidates are matched by pinyin in Python too.
PINYIN_SCAN_LIMIT = 5000
#: How long a rendered form's picker key lives (seconds).
KEY_TIMEOUT = 24 * 3600

CACHE_PREFIX = "kehu:picker:"


# --- Labels ---------------------------------------------------------------------------------------


def label_of(obj) -> str:
    fn = getattr(obj, "picker_label", None)
    return str(fn() if callable(fn) else obj)


def context_of(obj) -> str:
    for name in ("picker_context", "search_summary"):
        fn = getattr(obj, name, None)
        if callable(fn):
            return str(fn() or "")
    return ""


def value_of(obj, to_field: str | None) -> str:
    return str(getattr(obj, to_field) if to_field else obj.pk)


# --- The field's queryset, remembered for the endpoint --------------------------------------------


def remember(queryset, user, to_field: str | None = None) -> str | None:
    """Keep ``queryset``'s query for ``user`` in the cache; the key the widget's URL carries.
    ``None`` when there is no user (a form built without one offers unrestricted querysets:
    those are never served) or the query cannot be pickled."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        blob = pickle.dumps(queryset.query)
    except Exception:  # noqa: BLE001 - any query that cannot be kept: the default source
        return None
    digest = hashlib.sha256(
        f"{settings.SECRET_KEY}|{user.pk}|{queryset.model._meta.label_lower}|".encode() + blob
    ).hexdigest()[:40]
    entry = (user.pk, queryset.model._meta.label_lower, blob, to_field or None)
    cache.set(CACHE_PREFIX + digest, entry, KEY_TIMEOUT)
    return digest


def recall(key: str, model, user):
    """``(queryset, to_field)`` remembered under ``key`` for ``user`` and ``model``; ``None`` if
    unknown, expired, or kept for someone else or another model."""
    if not key:
        return None
    found = cache.get(CACHE_PREFIX + key)
    if not found:
        return None
    user_pk, label, blob, to_field = found
    if user_pk != user.pk or label != model._meta.label_lower:
        return None
    qs = model._default_manager.all()
    qs.query = pickle.loads(blob)  # noqa: S301 - written by ``remember`` on this server only
    return qs, to_field


def default_queryset(model, user):
    """What the endpoint searches without a key: the type's restricted queryset."""
    ot = find_object_type(model)
    if ot is None or not ot.allows(user, "view"):
        return model._default_manager.none()
    return model._default_manager.visible_to(user)


def fallback_field(model, name: str, user) -> str | None:
    """The ``f`` parameter (the field a picker posts instead of the id) for the default
    source: a unique field or one of the type's search fields, never one hidden from the user."""
    if not name:
        return None
    ot = find_object_type(model)
    if not has_field(model, name) or (ot and name in ot.hidden_for(user)):
        raise ValueError(name)
    field = model._meta.get_field(name)
    if not (field.unique or (ot and name in ot.search_fields)) or not field.concrete:
        raise ValueError(name)
    return name


def pickable(model) -> bool:
    """Relations that get a picker: to a registered object type (the user model is one)."""
    return find_object_type(model) is not None or model is get_user_model()


# --- Search ----------------------------------------------------------------------------------------


def search_choices(qs, query: str, *, limit: int = LIMIT) -> list:
    """Up to ``limit`` records of ``qs`` matching ``query``, best first; the first ``limit``
    in the queryset's order when nothing is typed. A constant number of queries."""
    from .search import is_searchable, ranked_search

    model = qs.model
    ot = find_object_type(model)
    qs = search_related(qs)
    query = query.strip()
    if not query:
        if not qs.ordered:
            qs = qs.order_by("-pk")
        return list(qs[:limit])
    if is_searchable(model):
        return ranked_search(qs, query, limit=limit)
    fields = [f for f in (ot.search_fields if ot else ()) if has_field(model, f)]
    if not fields:
        fields = [
            f for f in ("name", "display_name", "username", "code", "number") if has_field(model, f)
        ]
    return _match_plain(qs, query, fields, limit)


def has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist
        return False
    return True


def _match_plain(qs, query: str, fields: list[str], limit: int) -> list:
    """Few candidates: all their search fields read once and matched here (name, pinyin,
    initials, any field: prefix before substring); many: ``icontains`` in the database."""
    from django.db.models import Q

    if not fields:
        return []
    rows = list(qs.order_by().values_list("pk", *fields)[: PINYIN_SCAN_LIMIT + 1])
    if len(rows) > PINYIN_SCAN_LIMIT:
        cond = Q()
        for f in fields:
            cond |= Q(**{f"{f}__icontains": query})
        return list(qs.filter(cond).order_by(*fields[:1], "pk")[:limit])
    wanted = compact(query)
    if not wanted:
        return []
    ranked = []
    for pk, *values in rows:
        name = values[0] or next((v for v in values if v), "") or ""
        full, initials = pinyin_forms(str(name))
        pieces = [compact(str(v)) for v in values if v] + [full, initials]
        rank = None
        for i, piece in enumerate(pieces):
            if piece.startswith(wanted):
                rank = 0 if i == 0 else 1
                break
            if wanted in piece:
                rank = 2 if rank is None else rank
        if rank is not None:
            ranked.append((rank, len(str(name)), str(name), pk))
    ranked.sort()
    ids = [pk for *_rest, pk in ranked[:limit]]
    found = {obj.pk: obj for obj in qs.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


# --- The widgets -----------------------------------------------------------------------------------


class PickerWidget(forms.Select):
    """A search box over the field's queryset; the chosen value in a hidden input.

    Rendered without the queryset's rows: only the chosen ones are read (one query)."""

    multiple = False
    #: set by :func:`apply_pickers`: the user the form is for (binds the remembered queryset)
    user = None
    #: label shown for a chosen value the user may not see (``HIDDEN_RECORD``)
    hidden_label = None

    def __init__(self, attrs=None, *, placeholder=None):
        super().__init__(attrs)
        self.placeholder = placeholder

    def _field(self):
        return getattr(self.choices, "field", None)

    def chosen(self, values: list[str]) -> list[tuple[str, str, str]]:
        """``(value, label, context)`` of the chosen values, in their order."""
        field = self._field()
        values = [v for v in values if v not in ("", None)]
        if not values or field is None:
            return []
        to_field = field.to_field_name
        key = to_field or field.queryset.model._meta.pk.name
        clean = []
        for v in values:
            try:
                clean.append(field.queryset.model._meta.get_field(key).to_python(v))
            except Exception:  # noqa: BLE001, S112 - a bad value in posted data: left out
                continue
        qs = search_related(field.queryset).filter(**{f"{key}__in": clean}) if clean else []
        found = {value_of(obj, to_field): obj for obj in qs}
        out = []
        for v in values:
            obj = found.get(str(v))
            if obj is not None:
                out.append((str(v), label_of(obj), context_of(obj)))
            else:
                from .permissions import HIDDEN_RECORD

                out.append((str(v), str(self.hidden_label or HIDDEN_RECORD), ""))
        return out

    def url(self) -> str:
        field = self._field()
        if field is None:
            return ""
        model = field.queryset.model
        params = {}
        key = remember(field.queryset, self.user, field.to_field_name)
        if key:
            params["k"] = key
        if field.to_field_name:  # read only when the key has expired
            params["f"] = field.to_field_name
        url = reverse("core:picker", args=[model._meta.label_lower])
        return f"{url}?{urlencode(params)}" if params else url

    def render(self, name, value, attrs=None, renderer=None):
        field = self._field()
        if field is None:  # not a model choice field: a plain select
            return super().render(name, value, attrs, renderer)
        attrs = self.build_attrs(self.attrs, attrs)
        form_id = attrs.pop("form", "")
        input_id = attrs.get("id") or f"id_{name}"
        values = self.format_value(value)
        chosen = self.chosen(values)
        required = bool(attrs.get("required")) or (self.is_required and not self.multiple)
        # one hidden input per chosen record; a single picker always posts its (maybe empty) value
        posted = [v for v, _l, _c in chosen] if self.multiple else [chosen[0][0] if chosen else ""]
        hidden = format_html_join(
            "",
            '<input type="hidden" name="{}" value="{}"{} data-picker-value>',
            ((name, v, format_html(' form="{}"', form_id) if form_id else "") for v in posted),
        )
        chips = format_html_join(
            "",
            '<span class="badge picker-chip" data-value="{}">{}{} '
            '<button type="button" class="btn-close" aria-label="{}" data-picker-remove>'
            "</button></span>",
            (
                (
                    v,
                    lbl,
                    format_html(' <small class="picker-chip-context">{}</small>', ctx)
                    if ctx
                    else "",
                    _("Remove %(name)s") % {"name": lbl},
                )
                for v, lbl, ctx in chosen
            ),
        )
        single = chosen[0] if chosen and not self.multiple else None
        text = single[1] if single else ""
        placeholder = self.placeholder or _("Type a name, pinyin or number…")
        css = attrs.get("class", "").replace("form-select", "form-control").strip()
        return format_html(
            '<div class="picker{}" data-picker data-url="{}" data-name="{}"{}{}'
            ' data-no-results="{}" data-remove="{}"{}>'
            '<div class="picker-box">'
            '<input type="text" id="{}" class="{} picker-input" value="{}" placeholder="{}" '
            'role="combobox" aria-autocomplete="list" aria-expanded="false" '
            'aria-controls="{}-list" autocomplete="off" spellcheck="false"'
            ' data-label="{}"{}{}>'
            '<span class="picker-context text-secondary small">{}</span>'
            '<ul class="picker-list list-group shadow" id="{}-list" role="listbox" hidden></ul>'
            "</div>"
            '<div class="picker-chips">{}</div>'
            "{}</div>",
            " picker-multiple" if self.multiple else "",
            self.url(),
            name,
            mark_safe(" data-multiple") if self.multiple else "",
            format_html(' data-empty-label="{}"', _("(none)")) if not required else "",
            _("No matches"),
            _("Remove"),
            format_html(' data-form="{}"', form_id) if form_id else "",
            input_id,
            css or "form-control",
            text,
            placeholder,
            input_id,
            text,
            format_html(" aria-describedby={}", attrs["aria-describedby"])
            if attrs.get("aria-describedby")
            else "",
            format_html(" aria-invalid={}", attrs["aria-invalid"])
            if attrs.get("aria-invalid")
            else "",
            single[2] if single else "",
            input_id,
            chips,
            hidden,
        )

    def value_from_datadict(self, data, files, name):
        if self.multiple:
            getter = getattr(data, "getlist", None)
            return getter(name) if getter else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        # an emptied multiple picker posts nothing: that is an empty value, not an omitted field
        return False if self.multiple else name not in data

    def use_required_attribute(self, initial):
        return False  # the hidden input carries the value; the form's validation says "required"


class PickerMultipleWidget(PickerWidget):
    """Chips for the chosen records, a search box to add more; removing is a click on ×."""

    multiple = True
    allow_multiple_selected = True

    def format_value(self, value):
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [str(v) for v in value if v not in ("", None)]


def picker_html(
    name: str, queryset, *, user, required: bool = True, multiple: bool = False, attrs=None
) -> str:
    """A picker outside a form class (a page's own little form): ``name`` posts the chosen
    record's id, chosen among ``queryset`` for ``user``; nothing is chosen at first."""
    field_class = forms.ModelMultipleChoiceField if multiple else forms.ModelChoiceField
    field = field_class(
        queryset=queryset,
        required=required,
        widget=PickerMultipleWidget if multiple else PickerWidget,
    )
    widget = field.widget
    widget.is_required = required
    widget.user = user
    return widget.render(name, None, attrs={"class": "form-control", **(attrs or {})})


def search_related(qs):
    """``qs`` with what labels read (the type's ``select_related``; a person's department)."""
    model = qs.model
    ot = find_object_type(model)
    related = [*(ot.select_related if ot else ())]
    if not related and model is get_user_model() and has_field(model, "department"):
        related = ["department"]
    # labels read all of a row (``only()`` of a form's queryset would forbid the join)
    return qs.defer(None).select_related(*related) if related else qs


def apply_pickers(form, user) -> None:
    """Give every model choice field of ``form`` shown as a plain ``<select>`` a picker over
    its queryset, bound to ``user``; pickers already there are bound to ``user`` too."""
    for field in form.fields.values():
        if not isinstance(field, forms.ModelChoiceField):
            continue
        widget = field.widget
        if isinstance(widget, PickerWidget):
            widget.user = user
            continue
        if type(widget) not in (forms.Select, forms.SelectMultiple):
            continue  # radios, checkboxes, hidden inputs: the form chose them
        if not pickable(field.queryset.model):
            continue
        multiple = isinstance(field, forms.ModelMultipleChoiceField)
        new = (PickerMultipleWidget if multiple else PickerWidget)(attrs=dict(widget.attrs))
        new.attrs.pop("size", None)
        new.is_required = widget.is_required
        new.choices = field.choices  # the field's ModelChoiceIterator: its queryset
        new.user = user
        field.widget = new
