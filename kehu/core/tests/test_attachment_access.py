"""Attachments are served and listed only with the record type's view permission and the record
in the user's view scope, and are addressed by a token nobody can guess (not the row id)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.core.actions import add_attachment, attachments_for
from kehu.customers.tests.factories import customer


def pdf(name: str = "合同.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 body")


@pytest.mark.django_db
def test_download_needs_the_object_types_view_permission(client, make_user):
    manager = make_user("branch_manager", "a")
    salesperson = make_user("salesperson", "a1")
    # a file on an employee record: the employee pages are forbidden to a salesperson
    att = add_attachment(target=salesperson, upload=pdf("劳动合同.pdf"))
    url = reverse("core:attachment_download", args=[att.token])
    client.force_login(salesperson)
    assert client.get(reverse("system:user_detail", args=[salesperson.pk])).status_code == 403
    assert client.get(url).status_code == 403
    assert attachments_for(salesperson, user=salesperson).count() == 0
    client.force_login(make_user("administrator", "hq", is_superuser=True))
    assert client.get(url).status_code == 200
    del manager


@pytest.mark.django_db
def test_urls_use_an_unguessable_token_not_the_row_id(client, make_user):
    owner = make_user("salesperson")
    obj = customer(owner)
    first = add_attachment(target=obj, upload=pdf())
    second = add_attachment(target=obj, upload=pdf("报价.pdf"))
    assert first.token != second.token and len(str(first.token)) == 36
    client.force_login(owner)
    page = client.get(reverse("customers:customer_detail", args=[obj.pk])).content.decode()
    assert str(first.token) in page and str(second.token) in page
    assert f"/attachments/{first.pk}/" not in page
    response = client.get(reverse("core:attachment_download", args=[first.token]))
    assert response.status_code == 200
    assert client.get(f"/attachments/{first.pk}/").status_code == 404


@pytest.mark.django_db
def test_outside_the_view_scope_nothing_is_served_or_listed(client, make_user):
    owner = make_user("salesperson")
    colleague = make_user("salesperson")
    obj = customer(owner)
    att = add_attachment(target=obj, upload=pdf())
    client.force_login(colleague)
    assert client.get(reverse("core:attachment_download", args=[att.token])).status_code == 404
    assert attachments_for(obj, user=colleague).count() == 0
    assert list(attachments_for(obj, user=owner)) == [att]


@pytest.mark.django_db
def test_timeline_lists_files_through_the_same_check(client, make_user):
    from kehu.customers.timeline import attachment_entries

    owner = make_user("salesperson")
    obj = customer(owner)
    att = add_attachment(target=obj, upload=pdf())
    mine = list(attachment_entries(obj, owner, before=None, limit=10))
    assert [e.url for e in mine] == [reverse("core:attachment_download", args=[att.token])]
    assert list(attachment_entries(obj, make_user("salesperson"), before=None, limit=10)) == []


@pytest.mark.django_db
def test_upload_needs_the_change_permission_and_the_record_editable(client, make_user):
    owner = make_user("salesperson")
    viewer = make_user("service_agent")  # sees every customer, edits none of them
    obj = customer(owner)
    url = reverse("core:attachment_upload", args=["customers.customer", obj.pk])
    client.force_login(viewer)
    assert client.post(url, {"file": pdf()}).status_code == 403
    employee_url = reverse("core:attachment_upload", args=["system.user", owner.pk])
    client.force_login(owner)
    assert client.post(employee_url, {"file": pdf()}).status_code == 403
