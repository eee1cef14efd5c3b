"""Logging in: the lockout in the authentication backend, one message for every failure,
bookkeeping writes outside the optimistic lock, and safe ``next`` redirects."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client
from django.urls import reverse

from kehu.core.models import AuditLog
from kehu.system.models import User

PASSWORD = "right-Pass-1"


def login(client, username: str, password: str):
    return client.post(reverse("core:login"), {"username": username, "password": password})


def login_error(response) -> str:
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


@pytest.mark.django_db
def test_the_backend_counts_failures_and_locks_for_every_entry_point(make_user, settings):
    """Not just the login page: ``authenticate()`` itself (any API login) applies the lockout."""
    settings.KEHU_LOGIN_MAX_FAILURES = 3
    user = make_user("salesperson", password=PASSWORD)
    for _ in range(2):
        assert authenticate(None, username=user.username, password="wrong") is None
    user.refresh_from_db()
    assert user.failed_logins == 2
    assert authenticate(None, username=user.username, password="wrong") is None
    user.refresh_from_db()
    assert user.locked_until is not None
    assert authenticate(None, username=user.username, password=PASSWORD) is None  # locked


@pytest.mark.django_db
def test_a_right_password_clears_the_failure_count(make_user):
    user = make_user("salesperson", password=PASSWORD)
    authenticate(None, username=user.username, password="wrong")
    assert authenticate(None, username=user.username, password=PASSWORD) == user
    user.refresh_from_db()
    assert user.failed_logins == 0


@pytest.mark.django_db
def test_one_message_for_unknown_users_wrong_passwords_and_locked_accounts(
    client, make_user, settings
):
    settings.KEHU_LOGIN_MAX_FAILURES = 2
    user = make_user("salesperson", password=PASSWORD)
    unknown = login_error(login(client, "no-such-user", "whatever"))
    wrong = login_error(login(client, user.username, "wrong"))
    login(client, user.username, "wrong")  # the second failure locks
    locked = login_error(login(client, user.username, PASSWORD))
    assert unknown == wrong == locked and unknown
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.locked_until is not None


@pytest.mark.django_db
def test_login_bookkeeping_bypasses_the_optimistic_lock_and_the_audit(client, make_user):
    user = make_user("salesperson", password=PASSWORD)
    login(client, user.username, "wrong")
    client.post(reverse("core:logout"))
    before = AuditLog.objects.filter(action=AuditLog.Action.UPDATE).count()
    assert login(client, user.username, PASSWORD).status_code == 302
    fresh = User.objects.get(pk=user.pk)
    assert fresh.last_login is not None and fresh.failed_logins == 0
    assert fresh.version == user.version  # no bump under a form someone has open
    assert AuditLog.objects.filter(action=AuditLog.Action.UPDATE).count() == before


@pytest.mark.django_db
def test_a_login_with_a_stale_copy_of_the_user_does_not_fail(client, make_user):
    """What two parallel logins do: the second saves ``last_login`` on a copy loaded before the
    first one's write. It used to raise ``StaleObjectError`` (500)."""
    from django.contrib.auth.models import update_last_login

    user = make_user("salesperson", password=PASSWORD)
    stale = User.objects.get(pk=user.pk)
    update_last_login(None, User.objects.get(pk=user.pk))
    user.refresh_from_db()
    user.title = "经理"
    user.save()  # an edit in between moves the version on
    update_last_login(None, stale)  # no StaleObjectError
    assert User.objects.get(pk=user.pk).title == "经理"


@pytest.mark.django_db
def test_a_stale_edit_of_the_employee_is_still_refused(client, make_user, admin_user):
    """The bookkeeping exemption must not weaken the lock for real edits (form and API)."""
    user = make_user("salesperson", password=PASSWORD)
    client.force_login(admin_user)
    seen = user.version
    login(Client(), user.username, PASSWORD)  # a login in between: no conflict
    form = {
        "username": user.username,
        "display_name": "新名字",
        "department": user.department_id,
        "roles": [r.pk for r in user.roles.all()],
        "version": seen,
    }
    r = client.post(reverse("system:user_edit", args=[user.pk]), form)
    assert r.status_code == 302, r.context["form"].errors
    form["display_name"] = "又一个名字"  # the version this form saw is gone now
    r = client.post(reverse("system:user_edit", args=[user.pk]), form)
    assert r.status_code == 200 and r.context["form"].non_field_errors()
    r = client.patch(
        f"/api/users/{user.pk}/",
        {"title": "x", "version": seen},
        content_type="application/json",
    )
    assert r.status_code == 409
    assert User.objects.get(pk=user.pk).display_name == "新名字"


@pytest.mark.django_db(transaction=True)
def test_parallel_logins_of_one_user_all_succeed(make_user):
    """Real concurrency: each thread has its own database connection (PostgreSQL only; SQLite
    serialises writers on one file)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly parallel writers")
    user = make_user("salesperson", password=PASSWORD)
    version = User.objects.get(pk=user.pk).version
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def attempt():
        try:
            barrier.wait()
            statuses.append(login(Client(), user.username, PASSWORD).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * 8
    fresh = User.objects.get(pk=user.pk)
    assert fresh.last_login is not None and fresh.version == version


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "http://evil.example"]
)
def test_inbox_read_redirects_only_on_this_site(client, make_user, target):
    client.force_login(make_user())
    r = client.post(reverse("core:mark_all_read"), {"next": target})
    assert r.status_code == 302 and r["Location"] == reverse("core:inbox")
    r = client.post(reverse("core:mark_all_read"), {"next": "/customers/?page=2"})
    assert r["Location"] == "/customers/?page=2"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_the_api_schema_and_docs_need_a_login(client, make_user, url):
    assert client.get(url).status_code in (302, 401, 403)
    client.force_login(make_user())
    assert client.get(url).status_code == 200
