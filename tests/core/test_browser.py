"""Look at the pages as a worker would: Debian's headless Chromium through Playwright."""

import pytest

from ..support.browser import ARTIFACTS

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_home_and_admin_login_render_in_chinese(page, live_server):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "工会服务平台" in page.title() + page.inner_text("header")
    page.screenshot(path=str(ARTIFACTS / "home-360.png"), full_page=True)

    page.goto(live_server.url + "/admin/login/")
    body = page.inner_text("body")
    assert "工会服务平台管理后台" in body and "手机号" in body and "密码" in body
    page.screenshot(path=str(ARTIFACTS / "admin-login-360.png"), full_page=True)
    assert page.failed_requests == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_api_docs_render_from_our_own_files_under_the_content_security_policy(page, live_server):
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "unionportal API" in page.inner_text(".swagger-ui .info .title")
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    assert page.failed_requests == []
    assert not [error for error in page.console_errors if "Content Security Policy" in error]
