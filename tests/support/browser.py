"""Debian's headless Chromium through Playwright, as the browser tests' shared tools."""

from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
# Without the background-networking flags Chromium tries to reach Google's hosts at start.
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # ORM calls made while Playwright runs may hold their own connection: close it, or
            # the test database cannot be dropped afterwards.
            connections.close_all()


def phone_page(browser, **context_options):
    """A 360 px Chinese page that records failed requests and console errors."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", **context_options)
    page = context.new_page()
    page.failed_requests, page.console_errors = [], []
    # Failed loads are in failed_requests already; the console repeats them.
    page.on("console", lambda message: message.type == "error" and "Failed to load resource" not in message.text
            and page.console_errors.append(message.text))
    # Leaflet cancels tile loads it no longer needs when the view changes (net::ERR_ABORTED): not failures.
    page.on("requestfailed", lambda request: request.failure != "net::ERR_ABORTED"
            and page.failed_requests.append(f"{request.url} {request.failure}"))
    page.on("response", lambda response: response.status >= 400 and page.failed_requests.append(response.url))
    return page


def text_lines(page, cells: str) -> list[int]:
    """How many lines each matching cell's text takes (the distinct baselines of its boxes),
    whatever the height of its row or its line height."""
    return page.eval_on_selector_all(
        cells,
        "cells => cells.map(cell => { const r = document.createRange(); r.selectNodeContents(cell);"
        " const bottoms = [...r.getClientRects()].filter(b => b.width > 0).map(b => b.bottom).sort((a, b) => a - b);"
        " return bottoms.filter((y, i) => i === 0 || y - bottoms[i - 1] > 4).length; })",
    )


def pick_by_name(page, field_id: str, typed: str, shown: str) -> None:
    """Choose in an autocomplete field (select2) by typing part of a name, then the result."""
    page.click(f"#{field_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", typed)
    page.locator(".select2-results__option", has_text=shown).click()
    assert page.inner_text(f"#select2-{field_id}-container").strip() == shown


def admin_log_in(page, base_url: str, phone: str, password: str = "a-good-password-1") -> None:
    """Sign a staff member in to the back office through its login form."""
    page.goto(base_url + "/admin/login/")
    page.fill("#id_username", phone)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")


def wide_then_phone(page, name: str) -> None:
    """Screenshots of the page as a desk sees it (`<name>.png`), then as a phone does
    (`<name>-360.png`); the page stays at the phone's width."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    page.screenshot(path=str(ARTIFACTS / f"{name}-360.png"), full_page=True)


def reload_until(page, found, tries: int = 60) -> None:
    """Reload the page, as a staff member waiting for a worker would, until `found()` is true
    (at most `tries` times, half a second apart)."""
    for _ in range(tries):
        if found():
            return
        page.wait_for_timeout(500)
        page.reload()
