"""Demo data for mutual aid: the 2026 plan with Guangxi-like terms, the demo members'
enrolments and a few claims in every state (through the services, like real ones)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from members.demo import DEMO_ENTERPRISE
from members.models import Member, Organization, User, phone_hash

from . import aid_services
from .models import AidClaim, AidPlan

PLAN_TITLE = "2026年度职工医疗互助保障计划"
# The demo scenario happens on a fixed day, so it loads the same way in any year.
DEMO_TODAY = date(2026, 11, 20)

TERMS = dict(
    year=2026, title=PLAN_TITLE,
    description="由市总工会主办的职工医疗互助保障（“第二医保”）：在基本医保报销之后，对会员个人自付的住院费用分段给予补助。",
    premium=Decimal("100.00"), coverage_starts_on=date(2026, 1, 1), coverage_ends_on=date(2026, 12, 31),
    filing_deadline_days=90, is_open_for_enrolment=True,
    deductible_per_year=Decimal("1000.00"),
    segments=[
        {"up_to": "10000.00", "rate": "0.30"},
        {"up_to": "50000.00", "rate": "0.40"},
        {"up_to": "200000.00", "rate": "0.60"},
        {"up_to": None, "rate": "0.95"},
    ],
    minimum_payout=Decimal("100.00"), yearly_cap=Decimal("1000000.00"),
    allowance_per_day=Decimal("50.00"), allowance_max=Decimal("500.00"),
    accident_terms={"rate": "0.50", "max_per_claim": "20000.00"},
    major_illness_terms={
        "threshold": "60000.00",
        "segments": [{"up_to": "100000.00", "rate": "0.20"}, {"up_to": "200000.00", "rate": "0.30"},
                     {"up_to": None, "rate": "0.40"}],
        "max_per_year": "50000.00",
    },
)

# (member phone, hospital, admitted, discharged, total, insurance, self-paid, invoices, what happens)
CLAIMS = [
    ("13900000011", "泉州市第一医院", date(2026, 9, 1), date(2026, 9, 28), "400000.00", "150000.00", "250000.00",
     ["QZ2026090101", "QZ2026090102"], "paid"),
    ("13900000012", "福建医科大学附属第二医院", date(2026, 10, 8), date(2026, 10, 12), "2600.00", "1900.00", "700.00",
     ["FY2026100801"], "approved"),
    ("13900000013", "泉州市中医院", date(2026, 10, 20), date(2026, 11, 2), "36000.00", "21000.00", "15000.00",
     ["ZY2026102001"], "under_review"),
    ("13900000014", "晋江市医院", date(2026, 11, 1), date(2026, 11, 9), "18000.00", "11000.00", "7000.00",
     ["JJ2026110101"], "returned"),
    ("13900000015", "泉州市正骨医院", date(2026, 11, 3), date(2026, 11, 6), "5200.00", "3100.00", "2100.00",
     ["ZG2026110301"], "rejected"),
    ("13900000016", "泉州市第一医院", date(2026, 11, 12), date(2026, 11, 18), "9800.00", "6200.00", "3600.00",
     ["QZ2026111201"], "submitted"),
]


def _demo_png() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xf5\xf5\xf5" * 32 for _ in range(32))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 32, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _user(phone):
    return User.objects.filter(phone_hash=phone_hash(phone)).first()


def seed_aid(stdout):
    city = Organization.objects.get_root_nodes().filter(name="泉州市总工会").first()
    enterprise = Organization.objects.filter(name=DEMO_ENTERPRISE).first()
    if city is None or enterprise is None:
        return
    city_admin, enterprise_admin, reviewer = _user("13900000001"), _user("13900000005"), _user("13900000004")
    plan = AidPlan.objects.filter(organization=city, year=2026).first()
    if plan is None:
        plan = aid_services.aid_plan_create(actor=city_admin, organization=city, **TERMS)
    members = list(Member.objects.filter(organization=enterprise, status=Member.Status.ACTIVE).select_related("user"))
    # Three members paid themselves; the enterprise union enrolled the rest of its roster.
    for member in members[:3]:
        if not member.aid_enrolments.filter(plan=plan).exists():
            aid_services.aid_enrolment_create(member=member, plan=plan, actor=member.user,
                                              payment_reference=f"WX2026{member.pk:08d}")
    aid_services.aid_enrolment_bulk(plan=plan, members=members, actor=enterprise_admin,
                                    payment_reference="纺织公司工会统缴2026-01")
    # Manufacturing enterprises enrolled their rosters too (employer-paid), so coverage varies by district.
    for union in Organization.objects.filter(name__endswith="制造企业工会").order_by("path"):
        roster = list(Member.objects.filter(organization=union, status=Member.Status.ACTIVE).exclude(
            aid_enrolments__plan=plan))
        if roster:
            aid_services.aid_enrolment_bulk(plan=plan, members=roster, actor=city_admin,
                                            payment_reference=f"{union.name[:20]}统缴2026")
    if not AidClaim.objects.filter(plan=plan).exists():
        _seed_claims(plan, city_admin, reviewer)
    stdout.write(f"mutual aid: {plan.enrolments.count()} enrolled, {plan.claims.count()} claims")


def _backdate(claim_id, discharged):
    """Demo claims are made in one go; spread their times as if filed after discharge and
    decided a few days later, so the timeline and the report look like real work."""
    filed = timezone.make_aware(datetime.combine(discharged + timedelta(days=2), time(9, 30)))
    decided = filed + timedelta(days=4, hours=6)
    claim = AidClaim.objects.get(pk=claim_id)
    AidClaim.objects.filter(pk=claim_id).update(
        submitted_at=filed, decided_at=decided if claim.decided_at else None)
    for index, event in enumerate(claim.events.order_by("pk")):
        event.created_at = filed if index == 0 else decided + timedelta(minutes=index)
        event.save(update_fields=["created_at"])


def _seed_claims(plan, city_admin, reviewer):
    approved = []
    for phone, hospital, admitted, discharged, total, insurance, self_paid, invoices, outcome in CLAIMS:
        user = _user(phone)
        member = getattr(user, "member", None)
        if member is None:
            continue
        claim = aid_services.aid_claim_submit(
            member=member, kind="hospitalisation", hospital=hospital, admitted_on=admitted, discharged_on=discharged,
            total_cost=Decimal(total), insurance_paid=Decimal(insurance), self_paid=Decimal(self_paid),
            invoice_numbers=invoices, today=min(DEMO_TODAY, discharged + timedelta(days=3)),
            payee_bank="中国工商银行泉州分行", payee_account=f"62220214{member.pk:011d}",
            documents=[] if outcome == "submitted" else [(_demo_png(), "住院发票.png")],
        )
        if outcome in ("approved", "paid"):
            aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
            if outcome == "paid":
                approved.append(claim)
        elif outcome == "under_review":
            aid_services.aid_claim_review_start(claim_id=claim.pk, actor=reviewer)
        elif outcome == "returned":
            aid_services.aid_claim_return(claim_id=claim.pk, actor=reviewer,
                                          reason="请补充出院小结和费用明细清单的照片。")
        elif outcome == "rejected":
            aid_services.aid_claim_reject(claim_id=claim.pk, actor=reviewer,
                                          reason="门诊费用不属于住院医疗互助的补助范围。")
        _backdate(claim.pk, discharged)
    if approved:
        payment = aid_services.aid_payment_create(plan=plan, claims=approved, actor=city_admin)
        aid_services.aid_payment_mark_paid(payment_id=payment.pk, actor=city_admin, bank_reference="ICBC20261015001")
