"""Browser tests: one real (Debian) Chromium per session, a fresh context per test.

Playwright's sync API runs an event loop in the main thread, so Django's async-safety check
would refuse the ORM calls the tests make between page actions; it is switched off here only.
Screenshots land in ``test-artifacts/screenshots/`` (gitignored) for a human to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "pw-Kehu-123"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        pytest.skip("playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Browsing:
    """A context and its page plus the small helpers every test needs."""

    def __init__(self, browser, base_url: str, viewport: dict):
        self.context = browser.new_context(
            base_url=base_url, viewport=viewport, accept_downloads=True, locale="zh-CN"
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("console", self._console)
        self.server_errors: list[str] = []
        self.page.on("response", self._response)

    def _console(self, msg) -> None:
        # A 404 page the test asked for is logged as "Failed to load resource"; HTTP statuses
        # are checked through responses instead. Everything else (CSP refusals, JS errors) fails.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {msg.text}")

    def _response(self, response) -> None:
        if response.status >= 500 or (
            response.status >= 400 and response.request.resource_type != "document"
        ):
            self.server_errors.append(f"{response.status} {response.url}")

    def goto(self, path: str, status: int = 200):
        response = self.page.goto(path)
        assert response is not None
        assert response.status == status, f"{path}: HTTP {response.status}"
        return response

    def login(self, username: str, password: str = PASSWORD, *, expect_home: bool = True):
        self.goto("/login/")
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill(password)
        with self.page.expect_navigation():
            self.page.locator("#login-form button[type=submit]").click()
        if expect_home:
            assert self.page.url.rstrip("/") == self.base_url.rstrip("/"), self.page.url

    def switch_language(self, code: str):
        button = self.page.locator(f"button[data-language={code}]").first
        toggler = self.page.locator("button.navbar-toggler")
        if not button.is_visible() and toggler.is_visible():  # phone: open the menu first
            toggler.click()
            self.page.locator("#mainnav.show:not(.collapsing)").wait_for()
        with self.page.expect_navigation():
            button.click()
        assert self.page.locator("html").get_attribute("lang") == code

    def settled(self) -> None:
        """Wait until HTMX has swapped and processed what it received: an element swapped in
        reacts to events only once HTMX has processed it (a quick change right after a swap
        was lost on a busy machine)."""
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
        )

    def pick(self, input_id: str, query: str, value) -> None:
        """Choose ``value`` in the picker whose search box is ``#input_id`` (``core.pickers``):
        type ``query`` and click the offered record."""
        box = self.page.locator(f"#{input_id}")
        box.click()
        box.fill("")
        box.press_sequentially(query)
        self.page.locator(f"#{input_id}-list .picker-option[data-value='{value}']").click()

    def offered(self, input_id: str, query: str) -> list[str]:
        """The values the picker ``#input_id`` offers for ``query`` (then closed with Esc)."""
        box = self.page.locator(f"#{input_id}")
        box.click()
        box.fill("")
        box.press_sequentially(query)
        self.page.locator(f"#{input_id}-list:not([hidden]) li").first.wait_for()
        self.page.wait_for_function("() => !document.querySelector('.picker-loading')")
        values = self.page.locator(f"#{input_id}-list .picker-option").evaluate_all(
            "els => els.map(e => e.dataset.value)"
        )
        box.press("Escape")
        return values

    def screenshot(self, name: str, *, full_page: bool = True):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        lang = self.page.locator("html").get_attribute("lang") or "xx"
        width = self.page.viewport_size["width"] if self.page.viewport_size else 0
        form = "phone" if width < 576 else "desktop"
        safe = re.sub(r"[^a-z0-9_-]+", "-", name.lower())
        self.page.screenshot(
            path=str(SCREENSHOTS / f"{safe}-{lang}-{form}.png"), full_page=full_page
        )

    def close(self):
        self.context.close()


def _browsing(browser, live_server, viewport) -> Iterator[Browsing]:
    b = Browsing(browser, live_server.url, viewport)
    yield b
    b.close()
    assert not b.server_errors, b.server_errors
    assert not b.errors, b.errors


@pytest.fixture
def web(browser, live_server, transactional_db) -> Iterator[Browsing]:
    """A desktop-sized browser context; fails the test on a JS error or a 5xx response."""
    yield from _browsing(browser, live_server, DESKTOP)


@pytest.fixture
def phone(browser, live_server, transactional_db) -> Iterator[Browsing]:
    """A phone-sized (390x844) browser context."""
    yield from _browsing(browser, live_server, PHONE)


@pytest.fixture
def customers_for(db):
    """``customers_for(owner, n, **fields)``: n customers owned by ``owner`` (bulk, no audit)."""
    from kehu.customers.models import Customer

    def make(owner, n: int = 1, prefix: str = "C", cities=("上海", "北京", "杭州"), **kw):
        objs = [
            Customer(
                number=f"{prefix}{owner.pk:03d}{i:04d}",
                name=kw.get("name") or f"{prefix}测试客户{i:03d}",
                mnemonic=f"{prefix}CS{i:03d}",
                city=cities[i % len(cities)],
                phone=f"021-5555{i:04d}",
                owner=owner,
                department=owner.department,
            )
            for i in range(n)
        ]
        return Customer.objects.bulk_create(objs)

    return make
