"""Model features compose: a model lists the feature mixins it has, in any order, and gets the
managers and querysets of all of them (``kehu.core.features``)."""

import pytest
from django.db import models
from django.test.utils import isolate_apps

from kehu.core import audit
from kehu.core.models import (
    BaseModel,
    CustomFieldsMixin,
    OwnedModel,
    RestrictedQuerySet,
    SoftDeleteModel,
    SoftDeleteQuerySet,
)
from kehu.core.records import restore, soft_delete
from kehu.core.search import Searchable, SearchableQuerySet, build_document
from kehu.customers.models import Contact, Customer
from kehu.customers.tests.factories import contact, customer

ORDERS = {
    "features first": (Searchable, SoftDeleteModel, CustomFieldsMixin, OwnedModel),
    "base first": (OwnedModel, CustomFieldsMixin, SoftDeleteModel, Searchable),
    "mixed": (SoftDeleteModel, OwnedModel, Searchable, CustomFieldsMixin),
}


def _model(name: str, bases: tuple[type, ...], **attrs) -> type[models.Model]:
    class Meta:
        app_label = "core"

    body = {
        "__module__": __name__,
        "Meta": Meta,
        "name": models.CharField(max_length=50),
        "search_sources": ("name",),
        "search_document": lambda self: build_document(name=self.name),
        **attrs,
    }
    return type(name, bases, body)


@pytest.mark.parametrize("order", ORDERS)
@isolate_apps("kehu.core")
def test_every_feature_whatever_the_mixin_order(order):
    model = _model("Thing", ORDERS[order])
    qs_class = type(model.objects.all())
    for method in ("visible_to", "editable_by", "alive", "deleted", "bulk_create"):
        assert hasattr(model.objects, method), method
    # the search columns are kept on the bulk paths, whichever class comes first
    assert qs_class.bulk_create is SearchableQuerySet.bulk_create
    assert issubclass(qs_class, SoftDeleteQuerySet) and issubclass(qs_class, SearchableQuerySet)
    # soft delete: the default manager hides deleted rows, all_objects has them
    assert model._default_manager.name == "objects"
    assert '"deleted_at" IS NULL' in str(model.objects.values("pk").query)
    assert "deleted_at" not in str(model.all_objects.values("pk").query)
    assert isinstance(model.all_objects.all(), qs_class)
    # the audit hooks of every feature run: excluded columns, one entry per custom field
    assert {"deleted_at", "deleted_by", "search_text", "version"} <= audit.excluded(model)
    row = {"id": 1, "name": "x", "custom": {"a": 1}, "search_text": "|x|"}
    names = [f.attname for f in model._meta.concrete_fields if f.attname in row]
    loaded = model.from_db("default", names, [row[n] for n in names])
    assert loaded.audit_expand({"custom": [{}, {"a": 1}]}) == {"custom.a": [None, 1]}
    assert "search_text" not in loaded.audit_snapshot()
    loaded.custom["a"] = 2  # an edit in place is still a change
    assert loaded._loaded_values["custom"] == {"a": 1}


@isolate_apps("kehu.core")
def test_the_same_features_share_one_composed_class():
    first = _model("First", ORDERS["features first"])
    second = _model("Second", ORDERS["base first"])
    assert type(first.objects) is type(second.objects)
    assert type(first.objects) is type(Customer.objects)
    assert type(first.all_objects) is type(Customer.all_objects)


@isolate_apps("kehu.core")
def test_a_model_without_features_keeps_the_restricted_manager():
    class Plain(BaseModel):
        class Meta:
            app_label = "core"

    assert type(Plain.objects.all()) is RestrictedQuerySet
    assert not hasattr(Plain, "all_objects")


@isolate_apps("kehu.core")
def test_a_model_manager_of_its_own_wins():
    class Mine(SoftDeleteModel, BaseModel):
        objects = models.Manager()

        class Meta:
            app_label = "core"

    assert type(Mine.objects) is models.Manager
    assert "deleted_at" not in str(Mine.objects.values("pk").query)
    assert hasattr(Mine.all_objects, "alive")  # the one it did not declare is still built


@isolate_apps("kehu.core")
def test_a_model_queryset_of_its_own_is_composed_with_the_features():
    class OwnQuerySet(RestrictedQuerySet):
        def recent(self):
            return self.order_by("-created_at")

    model = _model("Own", ORDERS["base first"], queryset_class=OwnQuerySet)
    assert hasattr(model.objects, "recent") and hasattr(model.objects, "alive")
    assert '"deleted_at" IS NULL' in str(model.objects.recent().values("pk").query)
    assert type(model.objects.all()).__mro__[1] is OwnQuerySet  # the model's own comes first


def test_compose_queryset_is_order_free_and_cached():
    from kehu.core.features import compose_queryset

    one = compose_queryset(SoftDeleteQuerySet, SearchableQuerySet, RestrictedQuerySet)
    assert one is compose_queryset(SearchableQuerySet, SoftDeleteQuerySet)
    assert one.__mro__[1:3] == (SearchableQuerySet, SoftDeleteQuerySet)
    assert compose_queryset(RestrictedQuerySet, SoftDeleteQuerySet) is SoftDeleteQuerySet
    import pickle

    assert pickle.loads(pickle.dumps(one)) is one  # importable by name


def test_soft_deleted_rows_hidden_by_default_and_in_all_objects(make_user):
    owner = make_user()
    person = contact(owner)
    kept = customer(owner, 2)
    gone = person.customer
    soft_delete(obj=gone, user=owner)
    assert set(Customer.objects.values_list("pk", flat=True)) == {kept.pk}
    assert {kept.pk, gone.pk} <= set(Customer.all_objects.values_list("pk", flat=True))
    assert not Contact.objects.filter(pk=person.pk).exists()  # deleted with its customer
    assert Contact.all_objects.deleted().filter(pk=person.pk).exists()
    assert list(gone.contacts.all()) == []  # related managers follow the default manager
    assert Customer.all_objects.alive().visible_to(owner).filter(pk=gone.pk).count() == 0
    restore(obj=Customer.all_objects.get(pk=gone.pk), user=owner)
    assert Customer.objects.filter(pk=gone.pk).exists()


def test_bulk_create_through_the_composed_queryset_fills_the_search_columns(make_user):
    owner = make_user()
    made = Customer.objects.bulk_create(
        [
            Customer(
                number=f"FB{n:04d}",
                name=f"华为技术{n}",
                owner=owner,
                department=owner.department,
            )
            for n in range(3)
        ]
    )
    assert all(c.search_text for c in made)
    rows = Customer.all_objects.filter(number__startswith="FB").order_by("number")
    assert [r.search_text for r in rows] == [c.search_text for c in made]
    assert "|huaweijishu0|" in rows[0].search_text
    assert rows[0].search_grams
