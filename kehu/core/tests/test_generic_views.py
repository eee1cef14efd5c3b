"""Generic per-model cases over every registered object type: list, detail, create, update,
delete through the UI and the API; stale edits refused; query counts constant in row count."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, models
from django.db.models import UniqueConstraint
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.core.models import AuditLog
from kehu.core.registry import registry
from kehu.core.testing import COPY_TWEAKS, load_factories
from kehu.core.testing import list_url as list_of

FACTORIES = load_factories()
OBJECT_TYPES = sorted(registry)


@pytest.fixture
def manager(make_user, request):
    """A sales manager for business objects; an administrator for set-up objects and for
    types that need a permission of their own (``extra_perms``)."""
    label = getattr(request.node, "callspec", None) and request.node.callspec.params.get("label")
    if label and (registry[label].app_label == "system" or registry[label].extra_perms):
        return make_user("administrator", "a1")
    return make_user("sales_manager", "a1")


def unique_field_names(model) -> list[str]:
    """Fields a copy must change: unique ones, and the last field of each unique constraint."""
    names = [f.name for f in model._meta.fields if f.unique and not f.primary_key]
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.fields:
            names.append(constraint.fields[-1])
    return names


def distinct_copy(ot, data: dict, owner) -> dict:
    """Form or API data of a copy that differs from the original where it must be unique.

    Unique text gets a suffix and unique dates a day more; a field with choices cannot take a
    suffix, so a type whose uniqueness rests on one (or on a user) registers a ``copy_tweak``.
    """
    data = dict(data)
    for name in unique_field_names(ot.model):
        field = ot.model._meta.get_field(name)
        value = data.get(name)
        if field.choices:
            continue
        if isinstance(value, datetime.date):
            data[name] = value + datetime.timedelta(days=1)
        elif isinstance(value, str) and type(field) is models.DateField:
            data[name] = str(datetime.date.fromisoformat(value) + datetime.timedelta(days=1))
        elif isinstance(value, str):
            data[name] = f"{value}X"
    if ot.label in COPY_TWEAKS:
        data = COPY_TWEAKS[ot.label](data, owner, 2)
    return data


def form_data(ot, obj):
    form = ot.form(instance=obj)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        data[name] = value.pk if hasattr(value, "pk") else value
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
def test_list_and_api_list_queries_do_not_grow_with_rows(client, manager, label):
    ot = registry[label]
    make = FACTORIES[label]
    client.force_login(manager)
    make(manager, 1)
    list_url = list_of(ot)
    client.get(list_url)  # warm the per-user permission cache
    client.get(ot.api_path)  # and the process's content-type cache (an API row reads one)
    counts = []
    for rows in (1, 40):
        for n in range(2, rows + 1):
            make(manager, 1000 + rows * 100 + n)
        client.get(list_url)  # new roles/people reset the permission cache
        for url in (list_url, ot.api_path):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx.captured_queries))
    assert counts[:2] == counts[2:], counts


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
def test_ui_create_update_delete_round_trip(client, manager, label):
    ot = registry[label]
    template = FACTORIES[label](manager, 1)
    data = distinct_copy(ot, form_data(ot, template), manager)
    client.force_login(manager)
    # a copy of an existing record: confirm past the duplicate warning where a form has one
    response = client.post(reverse(ot.url_name("add")), {**data, "confirm_duplicates": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    created = ot.model.objects.order_by("-pk").first()
    assert created.pk != template.pk
    if ot.model.owner_path:
        assert created.owner == manager and created.department == manager.department
    detail = client.get(response["Location"])
    assert detail.status_code == 200

    data = form_data(ot, created)
    edit = client.post(reverse(ot.url_name("edit"), args=[created.pk]), data)
    assert edit.status_code == 302
    delete = client.post(reverse(ot.url_name("delete"), args=[created.pk]))
    if not ot.deletable:  # e.g. employees: deactivated, never deleted
        assert delete.status_code == 403
        assert ot.model.objects.filter(pk=created.pk).exists()
        return
    assert delete.status_code == 302
    assert not ot.model.objects.filter(pk=created.pk).exists()
    actions = set(
        AuditLog.objects.filter(object_id=str(created.pk), content_type__model=ot.name).values_list(
            "action", flat=True
        )
    )
    assert {"create", "delete"} <= actions


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
def test_ui_stale_edit_is_refused_with_message(client, manager, label):
    ot = registry[label]
    obj = FACTORIES[label](manager, 1)
    client.force_login(manager)
    data = form_data(ot, obj)  # the form as the user opened it (version 1)
    other = ot.model.objects.get(pk=obj.pk)
    if hasattr(other, "notes"):
        other.notes = "someone else was here"
    other.save()
    other.refresh_from_db()
    assert other.version == 2
    response = client.post(reverse(ot.url_name("edit"), args=[obj.pk]), data)
    assert response.status_code == 200
    assert (
        "changed by someone else" in response.content.decode()
        or "其他人" in response.content.decode()
    )
    assert ot.model.objects.get(pk=obj.pk).version == 2


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
def test_api_crud_and_stale_version_conflict(client, manager, label):
    ot = registry[label]
    obj = FACTORIES[label](manager, 1)
    client.force_login(manager)
    url = f"{ot.api_path}{obj.pk}/"
    body = client.get(url).json()
    assert body["version"] == 1
    ok = client.patch(url, {"version": 1}, content_type="application/json")
    assert ok.status_code == 200, ok.content
    stale = client.patch(url, {"version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale"
    assert client.delete(url).status_code == (204 if ot.deletable else 403)


@pytest.mark.django_db
def test_api_refuses_mass_assignment_of_owner(client, manager, make_user):
    from kehu.customers.tests.factories import customer

    other = make_user("salesperson", "b")
    obj = customer(manager, 1)
    client.force_login(manager)
    response = client.patch(
        f"/api/customers/{obj.pk}/",
        {"owner": other.pk, "department": other.department_id, "version": obj.version},
        content_type="application/json",
    )
    assert response.status_code == 200
    obj.refresh_from_db()
    assert obj.owner == manager and obj.department == manager.department


@pytest.mark.django_db
def test_api_validation_errors_come_in_the_users_language(client, manager):
    client.force_login(manager)
    response = client.post(
        "/api/customers/",
        {"name": "", "number": ""},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "该字段不能为空" in response.content.decode()
    response = client.post(
        "/api/customers/",
        {"name": "", "number": ""},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "may not be blank" in response.content.decode()
