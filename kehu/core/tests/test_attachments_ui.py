"""The attachments card (``core/_attachments.html``) on every detail page: upload (HTMX or a
plain post), list with size/uploader/date, download by token, remove -- each with the record's
permissions, refusals said in the user's language."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.core.models import Attachment, AuditLog
from kehu.customers.tests.factories import customer

HX = {"HTTP_HX_REQUEST": "true"}


def pdf(name: str = "合同.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 body")


def upload_url(obj) -> str:
    return reverse("core:attachment_upload", args=[obj._meta.label_lower, obj.pk])


@pytest.mark.django_db
def test_upload_list_download_and_remove_through_the_card(client, make_user):
    owner = make_user("salesperson", "a1", display_name="王芳")
    obj = customer(owner)
    client.force_login(owner)
    page = client.get(obj.get_absolute_url()).content.decode()
    assert 'id="attachments-card"' in page and 'type="file" name="file" multiple' in page
    response = client.post(upload_url(obj), {"file": [pdf(), pdf("报价单.pdf")]}, **HX)
    assert response.status_code == 200
    card = response.content.decode()
    assert card.startswith('<div class="card') and "合同.pdf" in card and "报价单.pdf" in card
    assert "13\xa0字节 · 王芳 · " in card  # size and uploader
    att = Attachment.objects.get(name="合同.pdf")
    assert att.uploaded_by == owner
    download = client.get(reverse("core:attachment_download", args=[att.token]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 body"
    # the card alone (HTMX refresh)
    card_url = reverse("core:attachment_card", args=["customers.customer", obj.pk])
    assert "报价单.pdf" in client.get(card_url).content.decode()
    response = client.post(reverse("core:attachment_delete", args=[att.token]), **HX)
    assert response.status_code == 200 and "合同.pdf" not in response.content.decode()
    assert not Attachment.objects.filter(pk=att.pk).exists()
    changes = [e.changes for e in AuditLog.objects.for_object(obj)]
    assert {"attachment": ["合同.pdf", None]} in changes


@pytest.mark.django_db
def test_a_refused_file_is_said_in_the_users_language(client, make_user):
    owner = make_user("salesperson", "a1")
    obj = customer(owner)
    client.force_login(owner)
    bad = SimpleUploadedFile("脚本.exe", b"MZ")
    client.cookies["django_language"] = "zh-hans"
    card = client.post(upload_url(obj), {"file": bad}, **HX).content.decode()
    assert "不能上传“exe”类型的文件。" in card and "alert-danger" in card
    client.cookies["django_language"] = "en"
    bad.seek(0)
    card = client.post(upload_url(obj), {"file": bad}, **HX).content.decode()
    assert "cannot be attached" in card
    assert not Attachment.objects.exists()
    # without HTMX: back to the record's page with the message
    response = client.post(upload_url(obj), {"file": pdf()})
    assert response.status_code == 302 and response["Location"] == obj.get_absolute_url()


@pytest.mark.django_db
def test_others_cannot_list_add_or_remove(client, make_user):
    owner = make_user("salesperson", "a1")
    outsider = make_user("salesperson", "a2")
    obj = customer(owner)
    client.force_login(owner)
    client.post(upload_url(obj), {"file": pdf()}, **HX)
    att = Attachment.objects.get()
    client.force_login(outsider)
    card_url = reverse("core:attachment_card", args=["customers.customer", obj.pk])
    assert client.get(card_url).status_code == 404
    assert client.post(upload_url(obj), {"file": pdf("x.pdf")}, **HX).status_code == 404
    assert client.post(reverse("core:attachment_delete", args=[att.token])).status_code == 404
    assert Attachment.objects.count() == 1
    # an unknown type is a 404, not a 500
    assert client.get("/attachments/of/nothing.here/1/").status_code == 404


@pytest.mark.django_db
def test_viewers_who_may_not_edit_see_files_without_upload_or_remove(client, make_user):
    """A director of another branch sees every customer but edits only their branch's."""
    owner = make_user("salesperson", "a1")
    director = make_user("director", "b")
    obj = customer(owner)
    client.force_login(owner)
    client.post(upload_url(obj), {"file": pdf()}, **HX)
    att = Attachment.objects.get()
    client.force_login(director)
    card_url = reverse("core:attachment_card", args=["customers.customer", obj.pk])
    card = client.get(card_url).content.decode()
    assert "合同.pdf" in card
    assert 'type="file"' not in card and "/delete/" not in card
    assert client.post(upload_url(obj), {"file": pdf("x.pdf")}, **HX).status_code == 403
    assert client.post(reverse("core:attachment_delete", args=[att.token])).status_code == 403
    assert Attachment.objects.count() == 1
