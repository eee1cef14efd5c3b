"""The shell: every module opens from the nav, the home dashboard chart, the phone layout."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

MODULES = {
    "customers": "客户",
    "marketing": "市场",
    "sales": "销售",
    "service": "服务",
    "analytics": "分析",
    "system": "系统",
}


def test_every_module_nav_link_opens(web, admin_user, customers_for):
    customers_for(admin_user, 3)
    web.login(admin_user.username)
    page = web.page
    for key, label in MODULES.items():
        link = page.locator(f"nav a[data-module={key}]")
        assert link.inner_text().strip() == label
        with page.expect_navigation() as nav:
            link.click()
        response = nav.value
        assert response is not None and response.status == 200, (key, response)
        assert page.locator(f"nav a[data-module={key}]").get_attribute("class").endswith("active")
        assert page.locator("main h1").count() == 1
        web.screenshot(f"module-{key}")


def test_a_chart_page_loads_echarts_on_demand_and_renders(web, admin_user, customers_for):
    """ECharts is not on every page any more: a page with a chart fetches it and draws."""
    customers_for(admin_user, 12)
    web.login(admin_user.username)
    page = web.page
    assert page.evaluate("typeof window.echarts") == "undefined"  # the home page has no chart
    web.goto("/customers/lifecycle/")
    chart = page.locator("[data-chart=lifecycle-chart]")
    page.locator("[data-chart=lifecycle-chart][data-rendered]").wait_for()
    assert chart.locator("canvas").count() == 1
    box = chart.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 150
    web.screenshot("lifecycle-chart")
    web.switch_language("en")
    page.locator("[data-chart=lifecycle-chart][data-rendered]").wait_for()
    web.screenshot("lifecycle-chart")


def test_phone_layout_collapses_the_navbar(phone, admin_user, customers_for):
    customers_for(admin_user, 8)
    phone.goto("/login/")
    phone.screenshot("login")
    phone.login(admin_user.username)
    page = phone.page
    toggler = page.locator("button.navbar-toggler")
    assert toggler.is_visible()
    assert not page.locator("nav a[data-module=customers]").is_visible()
    page.locator(".dashboard-card").first.wait_for()
    phone.screenshot("home")
    toggler.click()
    page.locator("#mainnav.show:not(.collapsing)").wait_for()  # the slide-down has finished
    assert page.locator("nav a[data-module=customers]").is_visible()
    phone.screenshot("home-menu", full_page=False)
    with page.expect_navigation():
        page.locator("nav a[data-module=customers]").click()
    page.locator("#object-table table").wait_for()
    phone.screenshot("customer-list")
    # no horizontal scrolling of the page itself at phone width (the table scrolls inside)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.switch_language("en")
    phone.screenshot("customer-list")
    # the filters fold away on a phone behind a "Filter" button
    city = page.locator(".filter-form input[name=city]")
    assert not city.is_visible()
    page.locator("button[data-bs-target='#filters']").click()
    page.locator("#filters.show:not(.collapsing)").wait_for()
    assert city.is_visible()
