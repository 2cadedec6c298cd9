"""The demo plan and claims load through the services and load only once."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command

from benefits.models import AidClaim, AidPlan, MemberAidYear

pytestmark = pytest.mark.django_db


def test_demo_plan_enrolments_and_claims_in_every_state(demo):
    plan = AidPlan.objects.get(title="2026年度职工医疗互助保障计划")
    assert plan.organization == demo and plan.premium == D("100.00")
    assert plan.segments[-1] == {"up_to": None, "rate": "0.95"}
    assert plan.enrolments.filter(member__organization__name="泉州鲤中纺织有限公司工会").count() == 9
    enrolled = plan.enrolments.count()
    assert enrolled > 9
    states = dict(AidClaim.objects.values_list("member__user__phone_hash", "status"))
    assert sorted(states.values()) == sorted(["paid", "approved", "under_review", "returned", "rejected", "submitted"])
    paid = AidClaim.objects.get(status="paid")
    assert paid.payout == D("155550.00") and paid.payment.status == "paid"
    assert AidClaim.objects.get(status="approved").payout == D("200.00")  # allowance: 4 days × 50
    assert MemberAidYear.objects.get(member=paid.member).aid_paid == D("155550.00")

    call_command("seed_demo", stdout=StringIO())
    assert AidClaim.objects.count() == 6 and plan.enrolments.count() == enrolled


def test_district_report_and_its_xlsx(client, demo):
    import io

    from openpyxl import load_workbook

    from members.models import Member, User

    plan = AidPlan.objects.get(title="2026年度职工医疗互助保障计划")
    client.force_login(User.objects.get_by_phone("13900000001"))
    page = client.get(f"/admin/benefits/aidplan/{plan.pk}/report/")
    assert page.status_code == 200
    licheng = next(row for row in page.context["rows"] if row.name == "鲤城区总工会")
    assert licheng.enrolled == plan.enrolments.filter(member__organization__path__startswith=licheng.path).count()
    assert (licheng.claims_filed, licheng.claims_approved, licheng.claims_paid) == (6, 2, 1)
    assert licheng.amount_approved == D("155750.00") and licheng.amount_paid == D("155550.00")
    assert licheng.coverage_percent == (D(licheng.enrolled * 100) / licheng.active_members).quantize(
        D("0.1"), rounding="ROUND_HALF_UP")
    assert licheng.active_members >= 9 and licheng.average_days_to_decision == D("4.3")
    assert licheng.active_members == Member.objects.filter(
        status=Member.Status.ACTIVE, organization__path__startswith=licheng.path).count()
    assert "<svg" in page.content.decode()
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/benefits/aidplan/{plan.pk}/report.xlsx").content)).active
    assert any(row[0] == "鲤城区总工会" and row[2] == licheng.enrolled for row in sheet.iter_rows(values_only=True))

    client.force_login(User.objects.get_by_phone("13900000003"))  # 丰泽区: its own district only
    rows = client.get(f"/admin/benefits/aidplan/{plan.pk}/report/").context["rows"]
    assert [row.name for row in rows] == ["丰泽区总工会"] and rows[0].claims_filed == 0
    assert rows[0].active_members == Member.objects.filter(
        status=Member.Status.ACTIVE, organization__path__startswith=rows[0].path).count() > 0
