"""Real-browser journeys: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Needs ``/usr/bin/chromium`` and a CJK font (``make system-deps``); the tests are skipped without Chromium.
Everything here is self-contained: data is built per test with the project's own services.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MINZHENG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DEMO_REGIONS = ROOT / "minzheng" / "foundation" / "regions" / "fixtures" / "demo"

ANYANG = "330381001000"  # 安阳街道
TANGXIA = "330381101000"  # 塘下镇
BROWSER_PASSWORD = "Browser@Test2026"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

# Every browser test is transactional: the live server answers from another thread, so the test's
# data must be committed. Django empties the tables after each test; the post_migrate handlers that
# follow put back the standard roles and the audit log's append-only triggers.
browser_db = pytest.mark.django_db(transaction=True)


# --- Playwright and Chromium: one browser for the whole package ---------------------------------


@pytest.fixture(scope="package")
def chromium(django_db_setup):
    if not Path(CHROMIUM).exists():
        if os.environ.get("MINZHENG_REQUIRE_SERVICES"):
            pytest.fail(f"{CHROMIUM} not found (CI requires the browser journeys): make system-deps")
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium fonts-noto-cjk (make system-deps)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread. While it runs, Django
    # (1) refuses ORM calls as "async-unsafe" unless told otherwise, and (2) keeps database
    # connections per async context instead of per thread, so the test would work on other
    # connection objects than the ones the test-database setup prepared (serialized_rollback, for
    # one, then finds nothing to restore). Hand the thread's own connections to that context.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    own = {alias: connections[alias] for alias in connections}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    playwright = sync_playwright().start()
    for alias, connection in own.items():
        connections[alias] = connection
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Pages:
    """Opens browser tabs for one test; records JavaScript errors and closes everything afterwards."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.contexts: list = []
        self.js_errors: list[str] = []
        self.csp_violations: list[str] = []

    def new(self, viewport: dict = DESKTOP):
        context = self.browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        # every Content-Security-Policy violation (an inline style or script, eval, a foreign
        # source) is logged as a console error: the workbench's and the portal's policies are strict
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.on("pageerror", lambda exc: self.js_errors.append(str(exc)))
        page.on("console", self._console)
        return page

    def _console(self, message):
        if message.type == "error" and ("Content Security Policy" in message.text or "CSP violation" in message.text):
            self.csp_violations.append(message.text)

    def login(self, page, username: str, password: str = BROWSER_PASSWORD):
        page.goto(f"{self.base_url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{self.base_url}/")
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(chromium, live_server, world):
    pages = Pages(chromium, live_server.url)
    yield pages
    pages.close()
    assert not pages.js_errors, f"JavaScript errors: {pages.js_errors}"
    assert not pages.csp_violations, f"Content-Security-Policy violations: {pages.csp_violations}"


def nav_link(page, name: str, *, exact: bool = False):
    """The navigation's link ``name``, shown the way a user gets to it: 菜单 first on a phone, the
    link's section opened (hover) on a desktop. The grouped navigation keeps a section's links folded."""
    button = page.locator("label.menu-button")
    if button.is_visible() and not page.locator("#menu-toggle").is_checked():
        button.click()
    named = page.get_by_role("link", name=name, exact=exact, include_hidden=True)
    link = page.locator("header nav").locator(named).first
    if not link.is_visible():
        page.locator("header nav .menu-section").filter(has=named).first.hover()
    return link


def shot(page, name: str, *, full_page: bool = True) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# --- the data: two townships of 瑞安市, their acceptors, and a few hundred people ---------------


@dataclass
class World:
    anyang_user: object
    tangxia_user: object
    anyang_households: list[int]
    tangxia_households: list[int]


@pytest.fixture
def world(transactional_db) -> World:
    # the root conftest lifts the audit guard before the flush that ends each live-server test
    from django.db.models import Q

    from minzheng.foundation.accounts.services import user_create
    from minzheng.foundation.regions.models import Level, Region
    from minzheng.foundation.regions.services import regions_import
    from minzheng.foundation.registry.bulk import registry_bulk_load
    from minzheng.foundation.registry.models import Household
    from minzheng.foundation.registry.synthetic import Population

    regions_import(source=DEMO_REGIONS)
    anyang = user_create(
        username="anyang_acceptor",
        password=BROWSER_PASSWORD,
        display_name="安阳街道受理员",
        grants=[("acceptor", ANYANG)],
    )
    tangxia = user_create(
        username="tangxia_acceptor",
        password=BROWSER_PASSWORD,
        display_name="塘下镇受理员",
        grants=[("acceptor", TANGXIA)],
    )
    villages = list(
        Region.objects.filter(level=Level.VILLAGE)
        .filter(Q(code__startswith=ANYANG[:9]) | Q(code__startswith=TANGXIA[:9]))
        .order_by("code")
        .values_list("code", flat=True)
    )
    population = Population(villages=villages, hukou_region6="330381", seed=2026)
    registry_bulk_load(households=list(population.households(300)))

    def township(code):
        return list(
            Household.objects.filter(region_code__startswith=code[:9]).order_by("id").values_list("id", flat=True)
        )

    world = World(anyang, tangxia, township(ANYANG), township(TANGXIA))
    assert world.anyang_households and world.tangxia_households
    return world
