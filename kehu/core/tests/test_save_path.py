"""One save path per object type (issue 9 §3): every registered type declares its create,
update and delete actions (``ObjectType.actions``), and the edit pages, the API, the delete page
and the bulk delete all write through them.

The proof installs, for one test, an action set that records each call before handing it to the
type's real action (through the registry, as an app would declare it): the database and the
HTTP layer are the real ones. Then a business rule that only a delete action holds (a role
still held, a category still used) is checked on every route.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import resolve, reverse

from kehu.core.registry import registry
from kehu.core.testing import load_factories

from .test_generic_views import distinct_copy, form_data

FACTORIES = load_factories()
OBJECT_TYPES = sorted(registry)


@pytest.fixture
def manager(make_user, request):
    """A sales manager for business objects; an administrator (who may purge) for set-up and
    for types that need a permission of their own (``extra_perms``)."""
    label = request.node.callspec.params.get("label")
    if registry[label].app_label == "system" or registry[label].extra_perms:
        return make_user("administrator", "a1")
    return make_user("sales_manager", "a1")


@pytest.fixture
def calls(monkeypatch, request):
    """The actions of the type under test, each call recorded then passed to the real one."""
    from kehu.core.saving import ObjectActions

    ot = registry[request.node.callspec.params["label"]]
    real = ot.actions
    seen: list[str] = []

    def recorded(name):
        def call(**kwargs):
            seen.append(name)
            return getattr(real, name)(**kwargs)

        return call

    names = ("create", "update", "delete", "bulk_delete")
    monkeypatch.setattr(ot, "actions", ObjectActions(**{n: recorded(n) for n in names}))
    return seen


def test_every_object_type_declares_its_actions():
    from kehu.core.saving import ObjectActions

    for label, ot in registry.items():
        assert isinstance(ot.actions, ObjectActions), label
        for name in ("create", "update", "delete", "bulk_delete", "import_create", "import_update"):
            assert callable(getattr(ot.actions, name)), (label, name)


def test_the_framework_default_saves_audited_with_the_version_checked(make_user):
    """A type without rules of its own gets create/update/delete from the framework."""
    from kehu.core.errors import StaleObjectError
    from kehu.core.models import AuditLog
    from kehu.core.saving import default_actions
    from kehu.system.models import Holiday

    user = make_user("administrator", "a1")
    acts = default_actions(Holiday, None)
    day = acts.create(user=user, data={"date": datetime.date(2031, 5, 1), "name": "劳动节"})
    acts.update(user=user, obj=day, data={"name": "五一"}, version=1)
    assert Holiday.objects.get(pk=day.pk).name == "五一"
    with pytest.raises(StaleObjectError):
        acts.update(user=user, obj=Holiday.objects.get(pk=day.pk), data={}, version=1)
    with pytest.raises(TypeError):  # a value no field takes is never silently dropped
        acts.update(user=user, obj=Holiday.objects.get(pk=day.pk), data={"nope": 1})
    acts.delete(user=user, obj=Holiday.objects.get(pk=day.pk))
    assert not Holiday.objects.filter(pk=day.pk).exists()
    logged = AuditLog.objects.filter(object_id=str(day.pk), content_type__model="holiday")
    assert {"create", "update", "delete"} <= set(logged.values_list("action", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
def test_edit_pages_write_through_the_actions(client, manager, calls, label):
    ot = registry[label]
    template = FACTORIES[label](manager, 1)
    data = distinct_copy(ot, form_data(ot, template), manager)
    client.force_login(manager)
    added = client.post(reverse(ot.url_name("add")), {**data, "confirm_duplicates": "1"})
    assert added.status_code == 302, added.content.decode()[:2000]
    created = ot.model.objects.order_by("-pk").first()
    edited = client.post(reverse(ot.url_name("edit"), args=[created.pk]), form_data(ot, created))
    assert edited.status_code == 302
    assert calls == ["create", "update"]
    if ot.deletable:
        assert client.post(reverse(ot.url_name("delete"), args=[created.pk])).status_code == 302
        assert calls[-1] == "delete"


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
def test_api_writes_through_the_actions(client, manager, calls, label):
    ot = registry[label]
    obj = FACTORIES[label](manager, 1)
    client.force_login(manager)
    url = f"{ot.api_path}{obj.pk}/"
    patched = client.patch(url, {"version": 1}, content_type="application/json")
    assert patched.status_code == 200, patched.content
    assert calls == ["update"]
    if ot.deletable:
        assert client.delete(url).status_code == 204
        assert calls == ["update", "delete"]


@pytest.mark.django_db
@pytest.mark.parametrize("label", OBJECT_TYPES)
def test_api_create_writes_through_the_action(client, manager, calls, label):
    """POST of a copy of a record (its read-only fields dropped, unique ones changed)."""
    ot = registry[label]
    obj = FACTORIES[label](manager, 1)
    client.force_login(manager)
    body = client.get(f"{ot.api_path}{obj.pk}/").json()
    view = resolve(f"{ot.api_path}{obj.pk}/").func
    serializer = getattr(getattr(view, "cls", None), "serializer_class", None)
    writable = None
    if serializer is not None:
        fields = serializer().get_fields()
        writable = {n for n, f in fields.items() if not f.read_only}
    payload = {k: v for k, v in body.items() if k not in ("id", "version")}
    if writable is not None:
        payload = {k: v for k, v in payload.items() if k in writable}
    payload = distinct_copy(ot, payload, manager)
    if label == "system.user":
        payload["username"] = f"{body['username']}x"
    payload = {k: v for k, v in payload.items() if v is not None}
    created = client.post(
        f"{ot.api_path}?confirm_duplicates=1", payload, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert calls == ["create"]


@pytest.mark.django_db
@pytest.mark.parametrize("label", [label for label in OBJECT_TYPES if registry[label].deletable])
def test_bulk_delete_goes_through_the_bulk_action(client, manager, calls, label):
    from kehu.core.permissions import SpecialPermission
    from kehu.system.models import Role

    ot = registry[label]
    records = [FACTORIES[label](manager, n) for n in (1, 2)]
    if not manager.has_perm(SpecialPermission.PURGE):
        role = Role.objects.get(users=manager)
        app_label, codename = SpecialPermission.PURGE.split(".")
        from django.contrib.auth.models import Permission

        role.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
        manager = type(manager).objects.get(pk=manager.pk)
    client.force_login(manager)
    response = client.post(reverse(ot.url_name("bulk_delete")), {"pk": [r.pk for r in records]})
    assert response.status_code == 302
    assert calls == ["bulk_delete"]
    assert not ot.model.objects.filter(pk__in=[r.pk for r in records]).exists()


# --- A rule only the delete action holds, on every route -------------------------------------


@pytest.fixture
def held_field(admin_user):
    """A custom field whose values records still hold: ``delete_custom_field`` refuses it
    (deactivate it, or confirm that the values are cleared)."""
    from kehu.customers.tests.factories import customer
    from kehu.system.tests.factories_customfields import custom_field

    field = custom_field(admin_user, 1)
    record = customer(admin_user, 1)
    record.custom = {field.code: "值"}
    record.save()
    return field


@pytest.mark.django_db
def test_a_held_custom_field_survives_the_bulk_delete(client, admin_user, held_field):
    """The bulk delete once went around ``delete_custom_field`` and left values behind."""
    client.force_login(admin_user)
    response = client.post(
        reverse("system:customfield_bulk_delete"), {"pk": [held_field.pk]}, follow=True
    )
    assert response.status_code == 200
    assert type(held_field).objects.filter(pk=held_field.pk).exists()


@pytest.mark.django_db
def test_a_held_custom_field_survives_the_delete_page_and_the_api(client, admin_user, held_field):
    client.force_login(admin_user)
    client.post(reverse("system:customfield_delete", args=[held_field.pk]))
    assert client.delete(f"/api/customfields/{held_field.pk}/").status_code == 400
    assert type(held_field).objects.filter(pk=held_field.pk).exists()


@pytest.fixture
def held_role(make_user):
    """A role someone still holds: ``delete_role`` refuses it."""
    from kehu.system.tests.factories_roles import role

    held = role(make_user("salesperson", "a1"))
    make_user("salesperson", "a1").roles.add(held)
    return held


@pytest.mark.django_db
def test_a_held_role_survives_every_delete_route(client, admin_user, held_role):
    client.force_login(admin_user)
    client.post(reverse("system:role_delete", args=[held_role.pk]))
    client.post(reverse("system:role_bulk_delete"), {"pk": [held_role.pk]})
    assert client.delete(f"/api/roles/{held_role.pk}/").status_code == 400
    assert type(held_role).objects.filter(pk=held_role.pk).exists()
