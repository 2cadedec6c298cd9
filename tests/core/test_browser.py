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
def test_api_docs_render_in_chinese_from_our_own_files_under_the_content_security_policy(page, live_server):
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
    assert "unionportal 开放接口" in page.inner_text(".swagger-ui .info .title")
    coupons = page.locator("#operations-tag-coupons")
    assert "福利券：福利活动、领取" in coupons.inner_text()  # the tag's description
    page.wait_for_selector("text=领取批次中的一张福利券", timeout=5000)  # an operation's summary
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    assert page.failed_requests == []
    assert not [error for error in page.console_errors if "Content Security Policy" in error]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_message_list_fits_a_desktop_screen_beside_the_menu_and_filters(browser, live_server):
    from django.utils import timezone

    from unionportal.core.models import Notification

    from ..factories import make_member, make_tree, make_user

    member = make_member(make_tree()["enterprise_a"], user=make_user(name="欧阳建国"))
    now = timezone.now()
    Notification.objects.create(user=member.user, event="aid_claim_approved", body="…", status="sent",
                                attempts=1, sent_at=now)
    Notification.objects.create(user=member.user, event="member_verified", body="…", status="failed", attempts=5)
    make_user(phone="13900000001", password="a-good-password-1", is_staff=True, is_superuser=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "13900000001")
    page.fill("input[name=password]", "a-good-password-1")
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/core/notification/")
    table, box = page.evaluate("""() => [document.querySelector('#result_list').scrollWidth,
                                         document.querySelector('.results').clientWidth]""")
    assert table <= box  # every column, "sent at" the last, in view without scrolling sideways
    for width in (1280, 360):  # on a phone the table scrolls sideways, read the same way
        page.set_viewport_size({"width": width, "height": 800})
        # The sent message's time: its date (up to 日) on one line, whether or not the hour follows.
        date_lines = page.evaluate("""() => {
            const cell = [...document.querySelectorAll('#result_list td.field-sent_at')].find(td => td.innerText !== '-');
            const text = cell.firstChild, range = document.createRange();
            range.setStart(text, 0);
            range.setEnd(text, text.data.indexOf('日') + 1);
            return range.getClientRects().length;
        }""")
        assert date_lines == 1
        status_lines = page.evaluate("""() => [...document.querySelectorAll('#result_list td.field-status')].map(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return range.getClientRects().length;
        })""")
        assert status_lines == [1, 1]  # 发送失败, 已发送: one word each
        page.screenshot(path=str(ARTIFACTS / f"admin-messages-{width}.png"), full_page=True)
    context.close()
