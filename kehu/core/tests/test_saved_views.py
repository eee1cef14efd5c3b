"""Saved views: save/apply/rename/share/default/delete on the list pages and the API, and the
leaks they must not open (someone else's private view, widening data permissions)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.core import actions
from kehu.core.models import SavedView
from kehu.customers.tests.factories import customer as make_customer

LABEL = "customers.customer"
LIST = "/customers/customers/"


@pytest.fixture
def rep(make_user):
    return make_user("salesperson", "a1")


@pytest.fixture
def manager(make_user):
    return make_user("sales_manager", "a1")


def list_url() -> str:
    return reverse("customers:customer_list")


def test_list_url_is_what_the_tests_expect(db):
    assert list_url() == LIST


def test_clean_view_query_drops_navigation_and_blanks():
    assert (
        actions.clean_view_query("?q=华为&city=&after=abc&view=3&sort=-name&export=csv&per_page=25")
        == "q=%E5%8D%8E%E4%B8%BA&sort=-name&per_page=25"
    )
    assert actions.clean_view_query("") == ""


@pytest.mark.django_db
def test_save_apply_and_default_through_the_pages(client, rep):
    mine = make_customer(rep, 1, name="上海华为代理", city="上海")
    other = make_customer(rep, 2, name="北京小米", city="北京")
    client.force_login(rep)
    response = client.post(
        reverse("core:saved_view_add"),
        {
            "object_type": LABEL,
            "name": "上海客户",
            "query": "city=上海&after=xyz",
            "is_default": "1",
        },
    )
    view = SavedView.objects.get(user=rep)
    assert actions.default_view(rep, LABEL) == view
    assert view.query == "city=%E4%B8%8A%E6%B5%B7"
    assert view.is_default and not view.shared
    assert response.status_code == 302 and response["Location"] == view.get_absolute_url()
    # Opening the list without parameters applies the default view …
    response = client.get(list_url())
    assert response.status_code == 302 and response["Location"] == view.get_absolute_url()
    page = client.get(response["Location"]).content.decode()
    assert mine.name in page and other.name not in page
    assert "saved-view-current" in page and "上海客户" in page
    # … while Reset (?view=0) shows everything
    page = client.get(list_url(), {"view": "0"}).content.decode()
    assert mine.name in page and other.name in page
    # the view menu and the manage page list it
    manage = client.get(reverse("core:saved_views"), {"type": LABEL}).content.decode()
    assert "上海客户" in manage


@pytest.mark.django_db
def test_rename_default_and_delete(client, rep):
    client.force_login(rep)
    a = actions.save_view(user=rep, object_type=LABEL, name="A", query="city=上海", is_default=True)
    b = actions.save_view(user=rep, object_type=LABEL, name="B", query="kind=company")
    response = client.post(
        reverse("core:saved_view_update", args=[b.pk]),
        {"name": "B2", "is_default": "1", "is_default_sent": "1"},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (b.name, b.is_default, a.is_default) == ("B2", True, False)  # one default per list
    # duplicate name: refused with a message, nothing changed
    response = client.post(
        reverse("core:saved_view_update", args=[b.pk]), {"name": "A"}, follow=True
    )
    assert "You already have a view with this name." in response.content.decode() or (
        "已有" in response.content.decode()
    )
    b.refresh_from_db()
    assert b.name == "B2"
    client.post(reverse("core:saved_view_delete", args=[a.pk]))
    assert not SavedView.objects.filter(pk=a.pk).exists()


@pytest.mark.django_db
def test_validation(rep, manager):
    with pytest.raises(ValidationError) as err:
        actions.save_view(user=rep, object_type=LABEL, name="  ", query="")
    assert "name" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        actions.save_view(user=rep, object_type="nope.nothing", name="x", query="")
    assert "object_type" in err.value.message_dict
    # a salesperson may not share with everyone; a sales manager may
    with pytest.raises(ValidationError) as err:
        actions.save_view(user=rep, object_type=LABEL, name="x", query="", shared=True)
    assert "shared" in err.value.message_dict
    assert actions.save_view(user=manager, object_type=LABEL, name="x", query="", shared=True)


@pytest.mark.django_db
def test_views_never_leak_or_widen_permissions(client, make_user, rep, manager):
    """A private view is invisible to others (404), a shared one is usable but not changeable
    (403), and applying a manager's shared view shows a salesperson only their own records."""
    teammate = make_user("salesperson", "a1")
    mine = make_customer(rep, 1, name="我的上海客户", city="上海")
    theirs = make_customer(teammate, 2, name="同事的上海客户", city="上海")
    private = actions.save_view(user=teammate, object_type=LABEL, name="私有", query="city=上海")
    shared = actions.save_view(
        user=manager, object_type=LABEL, name="全体：上海", query="city=上海", shared=True
    )
    client.force_login(rep)
    page = client.get(list_url(), {"view": "0"}).content.decode()
    assert "全体：上海" in page and "私有" not in page
    assert client.get(list_url(), {"view": private.pk}).status_code == 200  # just ignored
    for name in ("core:saved_view_update", "core:saved_view_delete"):
        assert client.post(reverse(name, args=[private.pk]), {"name": "x"}).status_code == 404
        assert client.post(reverse(name, args=[shared.pk]), {"name": "x"}).status_code == 403
    assert SavedView.objects.filter(pk=private.pk, name="私有").exists()
    assert SavedView.objects.filter(pk=shared.pk, name="全体：上海").exists()
    page = client.get(shared.get_absolute_url()).content.decode()
    assert mine.name in page and theirs.name not in page  # a view is only filters
    manage = client.get(reverse("core:saved_views"), {"type": LABEL}).content.decode()
    assert "全体：上海" in manage and "私有" not in manage
    # the manager sees the teammate's customer through the same view (department scope)
    client.force_login(manager)
    page = client.get(shared.get_absolute_url()).content.decode()
    assert mine.name in page and theirs.name in page
    with pytest.raises(PermissionDenied):
        actions.update_view(view=shared, user=rep, name="hijack")
    with pytest.raises(PermissionDenied):
        actions.delete_view(view=shared, user=rep)


@pytest.mark.django_db
def test_list_the_user_may_not_open_has_no_views(client, make_user):
    nobody = make_user(None, "b", username="nobody")
    client.force_login(nobody)
    assert client.get(reverse("core:saved_views"), {"type": LABEL}).status_code == 404
    response = client.post(
        reverse("core:saved_view_add"), {"object_type": LABEL, "name": "x", "query": ""}
    )
    assert response.status_code == 404
    assert not SavedView.objects.exists()


@pytest.mark.django_db
def test_api(client, make_user, rep, manager):
    teammate = make_user("salesperson", "a1")
    actions.save_view(user=teammate, object_type=LABEL, name="私有", query="city=北京")
    shared = actions.save_view(
        user=manager, object_type=LABEL, name="共享", query="city=上海", shared=True
    )
    client.force_login(rep)
    response = client.post(
        "/api/saved-views/",
        {"object_type": LABEL, "name": "我的", "query": "q=华为&before=x", "is_default": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["query"] == "q=%E5%8D%8E%E4%B8%BA" and created["is_own"] is True
    rows = client.get("/api/saved-views/", {"object_type": LABEL}).json()
    assert {r["name"] for r in rows} == {"我的", "共享"}
    assert client.get("/api/saved-views/", {"object_type": "x.y"}).json() == []
    response = client.patch(
        f"/api/saved-views/{shared.pk}/", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert client.delete(f"/api/saved-views/{shared.pk}/").status_code == 403
    response = client.post(
        "/api/saved-views/",
        {"object_type": LABEL, "name": "分享", "query": "", "shared": True},
        content_type="application/json",
    )
    assert response.status_code == 400 and "shared" in response.json()
    response = client.patch(
        f"/api/saved-views/{created['id']}/", {"name": "改名"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["name"] == "改名"
    assert client.delete(f"/api/saved-views/{created['id']}/").status_code == 204
    client.logout()
    assert client.get("/api/saved-views/").status_code in (401, 403)
