"""A member files a claim with a photo on a phone-sized page and sees its status."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from benefits import aid_services
from benefits.models import AidClaim

from ..support.browser import ARTIFACTS, pick_by_name, text_lines
from ..factories import make_member, make_staff, make_tree
from .builders import plan_fields, png_bytes


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_files_a_claim_on_the_phone(page, live_server):
    tree = make_tree()
    year = timezone.localdate().year
    plan = aid_services.aid_plan_create(actor=None, organization=tree["city"], **plan_fields(
        year=year, coverage_starts_on=date(year, 1, 1), coverage_ends_on=date(year, 12, 31)))
    member = make_member(tree["enterprise_a"])
    member.user.set_password("a-good-password-1")
    member.user.save()
    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX1", actor=member.user)

    page.goto(live_server.url + "/accounts/login/?next=/aid/")
    page.fill("#id_username", member.user.phone)
    page.fill("#id_password", "a-good-password-1")
    page.click("button.primary")
    page.wait_for_url("**/aid/")
    assert "医疗互助" in page.inner_text("h1")
    assert "您已参保" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "aid-plan-360.png"), full_page=True)

    page.click("text=申请补助")
    today = timezone.localdate()
    page.fill("#id_hospital", "泉州市第一医院")
    page.fill("#id_admitted_on", str(today - timedelta(days=5)))
    page.fill("#id_discharged_on", str(today - timedelta(days=1)))
    page.fill("#id_total_cost", "300000")
    page.fill("#id_insurance_paid", "50000")
    page.fill("#id_self_paid", "250000")
    page.fill("#id_invoice_numbers", "FP20260001")
    page.set_input_files("#documents", files=[{"name": "发票.png", "mimeType": "image/png", "buffer": png_bytes()}])
    page.screenshot(path=str(ARTIFACTS / "aid-claim-form-360.png"), full_page=True)
    page.click("text=提交申请")
    page.wait_for_url("**/aid/claims/*/")
    assert "已提交" in page.inner_text("main") and "发票.png" in page.inner_text("main")

    claim = AidClaim.objects.get()
    reviewer = make_staff(tree["district_a"])
    aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
    page.reload()
    text = page.inner_text("main")
    assert "已核准" in text and "155,550.00" in text
    page.screenshot(path=str(ARTIFACTS / "aid-claim-approved-360.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.failed_requests == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_reviewer_sees_the_breakdown_and_the_district_report(page, live_server):  # noqa: F811
    from io import StringIO

    from django.core.management import call_command

    from benefits.models import AidPlan

    call_command("seed_demo", stdout=StringIO())
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "13900000001")
    page.fill("#id_password", "union-demo-2026")
    page.click("input[type=submit]")
    claim = AidClaim.objects.get(status="paid")
    page.goto(live_server.url + f"/admin/benefits/aidclaim/{claim.pk}/change/")
    assert "补助金额：155,550.00 元" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "aid-admin-claim.png"), full_page=True)
    plan = AidPlan.objects.get()
    page.goto(live_server.url + f"/admin/benefits/aidplan/{plan.pk}/report/")
    assert "鲤城区总工会" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "aid-admin-report.png"), full_page=True)
    # The report on a phone: each district's name on one line, its bar as long as its coverage,
    # and the table scrolling sideways in its box rather than the page.
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert max(text_lines(page, ".report-chart .row span:first-child, .report-table td:first-child")) == 1
    coverages = [float(text.rstrip("%")) for text in page.locator(".report-chart .figures").all_inner_texts()]
    widths = [bar.bounding_box()["width"] for bar in page.locator(".report-chart .bar").all()]
    assert widths.index(max(widths)) == coverages.index(max(coverages)) and min(widths) > 60
    page.screenshot(path=str(ARTIFACTS / "aid-admin-report-360.png"), full_page=True)
    # The queue on a phone: names and hospitals stay on one line; the table scrolls sideways.
    page.goto(live_server.url + "/admin/benefits/aidclaim/?status=all")
    lines = text_lines(page, "#result_list td.field-member_name, #result_list td.field-kind, #result_list td.field-hospital")
    assert lines and max(lines) == 1
    page.screenshot(path=str(ARTIFACTS / "aid-admin-queue-360.png"), full_page=True)
    # A union's roster is enrolled after finding the union by its name, not in a list of them all.
    page.goto(live_server.url + "/admin/benefits/aidenrolment/bulk/")
    pick_by_name(page, "id_organization", "鲤中纺织", "泉州鲤中纺织有限公司工会")
    page.screenshot(path=str(ARTIFACTS / "aid-admin-bulk-enrolment-360.png"), full_page=True)
    assert page.failed_requests == []
