"""Logging in (Chinese by default), wrong passwords, lockout, and switching language."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_login_page_is_chinese_and_logs_in(web, make_user):
    user = make_user("salesperson")
    web.goto("/")  # not logged in: redirected to the login page
    page = web.page
    assert "/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "登录" in page.locator("#login-form button[type=submit]").inner_text()
    web.screenshot("login")
    web.login(user.username)
    assert page.locator("nav a[data-module=customers]").inner_text().strip() == "客户"
    assert "您好" in page.locator("h1").inner_text()  # the home page greets by name


def test_wrong_password_shows_an_error(web, make_user):
    user = make_user("salesperson")
    web.login(user.username, "not-the-password", expect_home=False)
    page = web.page
    assert "/login/" in page.url
    assert page.get_by_role("alert").inner_text() == (
        "用户名或密码错误。多次失败后账户会被暂时锁定，请稍后再试。"
    )
    assert page.locator("input[name=username]").input_value() == user.username
    web.screenshot("login-error")


def test_lockout_after_five_failures(web, make_user):
    user = make_user("salesperson")
    for _ in range(5):
        web.login(user.username, "wrong-password", expect_home=False)
        assert "用户名或密码错误" in web.page.get_by_role("alert").inner_text()
    web.login(user.username, expect_home=False)  # the right password, but locked now
    alert = web.page.get_by_role("alert").inner_text()
    assert "锁定" in alert, alert  # the same message as any failure: the lock is not revealed
    assert "/login/" in web.page.url
    user.refresh_from_db()
    assert user.locked_until is not None


def test_switch_language_to_english_and_back(web, make_user):
    web.goto("/login/")
    web.switch_language("en")
    assert web.page.locator("#login-form button[type=submit]").inner_text().strip() == "Log in"
    web.screenshot("login")
    web.login(make_user("sales_manager").username)
    customers = web.page.locator("nav a[data-module=customers]")
    assert customers.inner_text().strip() == "Customers"
    web.screenshot("home")
    web.switch_language("zh-hans")
    assert customers.inner_text().strip() == "客户"
    assert web.page.url.rstrip("/") == web.base_url.rstrip("/")  # stayed on the same page
