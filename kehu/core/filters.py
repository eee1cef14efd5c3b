"""The base FilterSet: knows the user, so owner/department choices show only people and
departments inside the user's data scope (a salesperson does not get the whole staff list)."""

from __future__ import annotations

import django_filters
from django import forms

from .permissions import Access

#: Filters other apps add to a model's FilterSet (``"app_label.model"`` → factories), so that a
#: higher layer can offer its attributes where a lower layer's records are listed — analytics'
#: value tier and churn risk on the customer list, its export, the API and marketing segments —
#: without the lower layer knowing of it.
_CONTRIBUTED: dict[str, list] = {}


class CheckboxFilter(django_filters.Filter):
    """A plain checkbox, ticked or not. django-filter's ``BooleanFilter`` takes a yes/no/any
    field: with a checkbox widget an untouched form reads "no", unlike its initial "any", so
    every list looked filtered (the phone layout opened the filter panel)."""

    field_class = forms.BooleanField


def contribute_filters(model_label: str, factory) -> None:
    """Register ``factory(user) -> {name: Filter}``, called for each FilterSet instance of the
    model (so labels are in the request's language, and a filter over data the user may not
    see is left out)."""
    _CONTRIBUTED.setdefault(model_label.lower(), []).append(factory)


class BaseFilterSet(django_filters.FilterSet):
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = user if user is not None else getattr(request, "user", None)
        self.relabel()
        self.restrict_choices()
        self.add_custom_filters()
        self.add_contributed_filters()
        self.add_import_filter()
        self.limit_dates()

    def add_import_filter(self) -> None:
        """``import_run=<id>``: the records one of the user's imports created or updated (their
        audit entries carry the run's batch), what the import's result page links to. Another
        user's run matches nothing; a hidden field, so the list's other filters keep it."""
        from django import forms
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import BigIntegerField
        from django.db.models.functions import Cast
        from django.utils.translation import gettext_lazy

        from .models import AuditLog, ImportRun

        model = self._meta.model
        user = self.user

        def by_run(qs, name, value):
            run = ImportRun.objects.filter(pk=value, user_id=getattr(user, "pk", None)).first()
            if run is None or not run.batch:
                return qs.none()
            ids = (
                AuditLog.objects.filter(
                    batch=run.batch,
                    content_type=ContentType.objects.get_for_model(model, for_concrete_model=False),
                    action__in=[AuditLog.Action.CREATE, AuditLog.Action.UPDATE],
                )
                .annotate(record=Cast("object_id", BigIntegerField()))
                .values("record")
            )
            return qs.filter(pk__in=ids)

        flt = django_filters.NumberFilter(
            label=gettext_lazy("Import"), method=by_run, widget=forms.HiddenInput, min_value=1
        )
        flt.parent = self
        flt.model = model
        self.filters["import_run"] = flt

    def relabel(self) -> None:
        """Build each filter's form field afresh, its label from the model in this request's
        language. django-filter caches both on the filter, and the API schema reads the class's
        filters before any request has set their model: a form field cached there has no label,
        and the form fell back to the English field name ("Status") on Chinese pages."""
        for name, flt in self.filters.items():
            flt.__dict__.pop("_field", None)
            if name not in self.declared_filters:
                flt.label = None

    def valid_or_400(self) -> None:
        """For a view with no filter form to show errors on (a file, the calendar's hidden
        parameters): invalid filters raise ``BadInput``, a 400 naming what is wrong."""
        from .errors import BadInput

        if not self.is_valid():
            raise BadInput(" ".join(m for msgs in self.errors.values() for m in msgs))

    def limit_dates(self) -> None:
        """Every date filter accepts only dates in the one sane range (``core.dates``), and a
        ``year`` lookup only years in it: ``date_to=9999-12-31`` or ``year=6.9e16`` overflowed
        Python's dates and answered 500; now the form is invalid (a 400 in the API)."""
        from .dates import MAX_YEAR, MIN_YEAR, validate_date_range

        for flt in self.filters.values():
            if isinstance(flt, django_filters.DateFilter | django_filters.DateTimeFilter):
                validators = list(flt.extra.get("validators", []))
                if validate_date_range not in validators:
                    flt.extra["validators"] = [*validators, validate_date_range]
            elif flt.lookup_expr == "year":
                flt.extra.setdefault("min_value", MIN_YEAR)
                flt.extra.setdefault("max_value", MAX_YEAR)
                flt.extra.setdefault("decimal_places", 0)
            else:
                continue
            flt.__dict__.pop("_field", None)

    def add_custom_filters(self) -> None:
        """Filters for the model's filterable custom fields: ``custom__<code>`` (text, choice,
        yes/no) and ``custom__<code>__gte`` / ``__lte`` (number, date), on pages and the API."""
        from .customfields import definitions, filters_for, is_opted_in

        model = self._meta.model
        if not is_opted_in(model):
            return
        for defn in definitions(model):
            if defn.filterable:
                for name, flt in filters_for(defn).items():
                    flt.parent = self
                    self.filters[name] = flt

    def add_contributed_filters(self) -> None:
        """Filters other apps registered for this model (:func:`contribute_filters`)."""
        for factory in _CONTRIBUTED.get(self._meta.model._meta.label_lower, ()):
            for name, flt in factory(self.user).items():
                flt.parent = self
                flt.model = self._meta.model
                self.filters[name] = flt

    def restrict_choices(self) -> None:
        from .providers import departments_in_scope, people_in_scope

        model = self._meta.model
        if self.user is None or getattr(model, "owner_path", None) is None:
            return
        for name, flt in self.filters.items():
            if not isinstance(flt, django_filters.ModelChoiceFilter):
                continue
            field = flt.field_name
            if field == model.owner_path:
                flt.queryset = people_in_scope(self.user, model, Access.VIEW)
            elif field == model.department_path:
                flt.queryset = departments_in_scope(self.user, model, Access.VIEW)
            _ = name


class AuditLogFilterSet(django_filters.FilterSet):
    """The audit page's filters: who acted (among the employees in the viewer's scope, so the
    page names nobody else), the action, the record type and a date range. A value outside the
    choices or a date outside 1900–2100 is a form error (400)."""

    user = django_filters.ModelChoiceFilter(queryset=None)
    action = django_filters.ChoiceFilter()
    type = django_filters.ChoiceFilter(method="filter_type")
    date_from = django_filters.DateFilter(method="filter_from")
    date_to = django_filters.DateFilter(method="filter_to")

    class Meta:
        from .models import AuditLog

        model = AuditLog
        fields = ["user", "action"]

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        from django import forms
        from django.contrib.auth import get_user_model
        from django.utils.text import capfirst
        from django.utils.translation import gettext as _

        from .dates import validate_date_range
        from .models import AuditLog
        from .providers import employees_in_scope
        from .registry import registry

        super().__init__(data, queryset, **kwargs)
        people = employees_in_scope(user)
        self.filters["user"].queryset = get_user_model().objects.all() if people is None else people
        self.filters["action"].extra["choices"] = AuditLog.Action.choices
        for name in ("user", "action"):
            self.filters[name].label = AuditLog._meta.get_field(name).verbose_name
        types = sorted(
            ((ot.label, capfirst(ot.verbose_name_plural())) for ot in registry.values()),
            key=lambda c: str(c[1]),
        )
        self.filters["type"].extra["choices"] = types
        self.filters["type"].label = _("Record type")
        self.filters["date_from"].label = _("From")
        self.filters["date_to"].label = _("Until")
        for name in ("date_from", "date_to"):
            self.filters[name].extra["validators"] = [validate_date_range]
            self.filters[name].extra["widget"] = forms.DateInput(attrs={"type": "date"})
        for name, field in self.form.fields.items():
            kind = "form-control" if name.startswith("date_") else "form-select"
            field.widget.attrs["class"] = f"{kind} {kind}-sm"

    def filter_type(self, queryset, name, value):
        from django.contrib.contenttypes.models import ContentType

        from .registry import registry

        ot = registry.get(value)
        if ot is None:
            return queryset.none()
        ct = ContentType.objects.get_for_model(ot.model, for_concrete_model=False)
        return queryset.filter(content_type=ct)

    def filter_from(self, queryset, name, value):
        return queryset.filter(timestamp__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        import datetime

        return queryset.filter(timestamp__lt=_day_start(value + datetime.timedelta(days=1)))


def _day_start(day):
    import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filtered_queryset(object_type, user, data):
    """The restricted, filtered queryset of a list page, export or API list: one definition
    (here, below both the views and the export, which call it)."""
    qs = object_type.model.objects.visible_to(user).select_related(*object_type.select_related)
    filterset = object_type.filterset(data, queryset=qs, user=user)
    if not filterset.is_valid():
        return filterset, qs.none()
    return filterset, filterset.qs
