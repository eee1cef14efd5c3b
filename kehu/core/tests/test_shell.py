"""Authentication, lockout, language, the module shell, health, uploads and the inbox."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.core.actions import add_attachment, check_upload, notify
from kehu.core.models import Attachment, Notification


@pytest.mark.django_db
def test_login_page_is_chinese_by_default_and_english_on_request(client):
    page = client.get(reverse("core:login"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="zh-hans"' in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    page = client.get(reverse("core:login"))
    assert 'lang="en"' in page.content.decode()
    assert "Log in" in page.content.decode()


@pytest.mark.django_db
def test_login_lockout_after_repeated_failures(client, make_user, settings):
    settings.KEHU_LOGIN_MAX_FAILURES = 3
    user = make_user("salesperson", password="right-Pass-1")
    for _ in range(3):
        r = client.post(reverse("core:login"), {"username": user.username, "password": "wrong"})
        assert r.status_code == 200
    r = client.post(reverse("core:login"), {"username": user.username, "password": "right-Pass-1"})
    assert r.status_code == 200  # locked: even the right password is refused for now
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.locked_until is not None


@pytest.mark.django_db
def test_login_succeeds_and_redirects_only_to_own_host(client, make_user):
    user = make_user("salesperson", password="right-Pass-1")
    r = client.post(
        reverse("core:login"),
        {"username": user.username, "password": "right-Pass-1", "next": "https://evil.example/"},
    )
    assert r.status_code == 302 and r["Location"] == reverse("core:home")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "module", ["customers", "marketing", "sales", "service", "analytics", "system"]
)
def test_every_module_shell_opens(client, make_user, module):
    client.force_login(make_user("sales_manager"))
    response = client.get(reverse(f"{module}:index"), follow=True)
    assert response.status_code == 200


@pytest.mark.django_db
def test_pages_require_login(client):
    assert client.get(reverse("customers:customer_list")).status_code == 302
    assert client.get("/api/customers/").status_code in (401, 403)


@pytest.mark.django_db
def test_health(client):
    response = client.get(reverse("core:health"))
    assert response.status_code == 200 and response.json()["database"] is True


@pytest.mark.django_db
def test_security_headers(client, make_user):
    client.force_login(make_user())
    response = client.get(reverse("core:home"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_upload_checks():
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("x.exe", b"MZ\x90\x00"))
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("fake.pdf", b"<html><script>alert(1)</script>"))
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("page.txt", b"<html><body>hi"))
    assert check_upload(SimpleUploadedFile("ok.pdf", b"%PDF-1.4 hello")) == "application/pdf"


@pytest.mark.django_db
def test_attachment_download_follows_the_records_data_permission(client, make_user):
    from kehu.customers.tests.factories import customer

    owner = make_user("salesperson")
    obj = customer(owner)
    att = add_attachment(target=obj, upload=SimpleUploadedFile("合同.pdf", b"%PDF-1.4 body"))
    client.force_login(owner)
    response = client.get(reverse("core:attachment_download", args=[att.token]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 body"
    client.force_login(make_user("salesperson"))
    assert client.get(reverse("core:attachment_download", args=[att.token])).status_code == 404
    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_notifications_dedupe_and_inbox(client, make_user):
    user = make_user()
    assert notify(recipients=[user], title="生日提醒", dedupe_key="bday-1") == 1
    assert notify(recipients=[user], title="生日提醒", dedupe_key="bday-1") == 0
    client.force_login(user)
    page = client.get(reverse("core:inbox"))
    assert "生日提醒" in page.content.decode()
    client.post(reverse("core:mark_all_read"))
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_unread_badge_is_cached_and_follows_every_inbox_change(
    client, make_user, django_assert_num_queries
):
    from kehu.core.actions import unread_count

    user = make_user()
    other = make_user()
    notify(recipients=[user], title="一")
    assert unread_count(user) == 1
    with django_assert_num_queries(0):
        assert unread_count(user) == 1
    notify(recipients=[user, other], title="二")
    assert unread_count(user) == 2
    client.force_login(user)
    assert 'data-unread="2"' in client.get(reverse("core:inbox")).content.decode()
    first = Notification.objects.filter(recipient=user).earliest("pk")
    client.post(reverse("core:mark_read", args=[first.pk]))
    assert unread_count(user) == 1
    client.post(reverse("core:mark_all_read"))
    assert unread_count(user) == 0
    Notification.objects.create(recipient=user, title="三")
    assert unread_count(user) == 1
    Notification.objects.filter(recipient=user, read_at__isnull=True).get().delete()
    assert unread_count(user) == 0
    assert unread_count(other) == 1


def test_mnemonic_from_pinyin_initials():
    from kehu.customers.actions import mnemonic_for

    assert mnemonic_for("北京华为") == "BJHW"
    assert mnemonic_for("ABC科技") == "ABCKJ"


@pytest.mark.django_db
def test_api_docs_and_schema_are_served_offline(client, make_user):
    client.force_login(make_user())
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "<script>" not in html
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/customers/" in schema.content


@pytest.mark.django_db
def test_attachment_upload_checks_edit_scope_and_file(client, make_user):
    from kehu.customers.tests.factories import customer

    owner = make_user("salesperson")
    obj = customer(owner)
    url = reverse("core:attachment_upload", args=["customers.customer", obj.pk])
    client.force_login(make_user("salesperson"))  # a colleague outside the owner's scope
    assert client.post(url, {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")}).status_code == 404
    client.force_login(owner)
    bad = client.post(url, {"file": SimpleUploadedFile("a.exe", b"MZ")}, follow=True)
    assert "不能上传" in bad.content.decode()
    assert Attachment.objects.count() == 0
    good = client.post(url, {"file": SimpleUploadedFile("报价.pdf", b"%PDF-1.4 x")})
    assert good.status_code == 302
    assert Attachment.objects.get().name == "报价.pdf"


def test_production_settings_pass_check_deploy(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "KEHU_PRODUCTION": "1",
        "KEHU_SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-check-0123456789",
        "KEHU_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kehu.settings",
        "KEHU_TESTING": "",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    result = subprocess.run(
        [sys.executable, "-m", "kehu.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
