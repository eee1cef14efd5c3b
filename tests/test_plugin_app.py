"""A module plugs in through its apps.py alone (issue 9 §5, "Done when").

``tests/plugin_app`` registers one owned model from ``AppConfig.ready`` and edits no central
file; it then has list, detail, edit, API, export, search, audit and the data-permission matrix
without anything else written for it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from kehu.core.models import AuditLog
from kehu.core.registry import registry

ROOT = Path(__file__).resolve().parent.parent
LABEL = "plugin_app.gadget"


def test_registered_from_its_apps_py_and_named_in_no_central_file():
    assert LABEL in registry
    assert "plugin_app" in registry.modules and "plugin_app" in registry.urls
    assert "plugin_app" in registry.api_routes
    assert settings.CELERY_BEAT_SCHEDULE["plugin-app-count"]["task"] == "plugin_app.count_gadgets"
    for central in ("settings.py", "urls.py", "api_urls.py", "celery.py"):
        assert "plugin_app" not in (ROOT / "kehu" / central).read_text(), central
    assert reverse("plugin_app:gadget_list") == "/plugin_app/gadgets/"
    assert registry[LABEL].api_path == "/api/gadgets/"


def test_the_generic_cases_and_the_permission_matrix_cover_it():
    from kehu.core.tests import test_generic_views, test_permission_matrix, test_route_matrix

    assert LABEL in test_permission_matrix.OBJECT_TYPES  # the data-scope matrix
    assert LABEL in test_generic_views.OBJECT_TYPES  # UI and API round trips, audit, queries
    assert LABEL in test_permission_matrix.FACTORIES  # its factory, found in its tests/
    names = {route.name for route in test_route_matrix.ROUTES}
    assert {"plugin_app:gadget_list", "plugin_app:gadget_detail"} <= names


@pytest.mark.django_db
def test_a_salesperson_uses_every_generic_path(client, make_user):
    owner = make_user("salesperson", "a1")
    other = make_user("salesperson", "a2")  # same role, another team: outside own scope
    client.force_login(owner)

    # edit (create), then list and detail
    created = client.post(reverse("plugin_app:gadget_add"), {"name": "示波器", "notes": "x"})
    assert created.status_code == 302, created.content.decode()[:1000]
    gadget = registry[LABEL].model.objects.get(name="示波器")
    assert gadget.owner == owner and gadget.department == owner.department
    detail_url = reverse("plugin_app:gadget_detail", args=[gadget.pk])
    assert detail_url in client.get(reverse("plugin_app:gadget_list")).content.decode()
    assert client.get(detail_url).status_code == 200
    edit = client.post(
        reverse("plugin_app:gadget_edit", args=[gadget.pk]),
        {"name": "示波器二号", "notes": "x", "version": gadget.version},
    )
    assert edit.status_code == 302

    # the API
    api = client.get(f"/api/gadgets/{gadget.pk}/")
    assert api.status_code == 200 and api.json()["name"] == "示波器二号"
    patch = client.patch(
        f"/api/gadgets/{gadget.pk}/",
        {"notes": "calibrated", "version": api.json()["version"]},
        content_type="application/json",
    )
    assert patch.status_code == 200, patch.content
    posted = client.post("/api/gadgets/", {"name": "万用表"}, content_type="application/json")
    assert posted.status_code == 201, posted.content
    assert posted.json()["owner"] == owner.pk

    # search and audit
    assert detail_url in client.get(reverse("core:search"), {"q": "示波器"}).content.decode()
    actions = set(
        AuditLog.objects.filter(
            content_type__app_label="plugin_app", object_id=str(gadget.pk)
        ).values_list("action", flat=True)
    )
    assert {"create", "update"} <= actions

    # someone outside the scope: 404 everywhere, and nothing in lists or the API
    client.force_login(other)
    assert client.get(detail_url).status_code == 404
    assert client.get(f"/api/gadgets/{gadget.pk}/").status_code == 404
    assert detail_url not in client.get(reverse("plugin_app:gadget_list")).content.decode()
    assert client.get("/api/gadgets/").json()["results"] == []


@pytest.mark.django_db
def test_export_is_the_restricted_filtered_list(client, make_user):
    from tests.plugin_app.tests.factories import gadget

    manager = make_user("sales_manager", "a1")
    gadget(manager, 1, name="导出的工具")
    gadget(make_user("sales_manager", "b"), 2, name="别人的工具")
    client.force_login(manager)
    response = client.get(reverse("plugin_app:gadget_list"), {"export": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert names == ["导出的工具"]
