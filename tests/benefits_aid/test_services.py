"""Services against the real database: filing, documents, review, the year counters, payment."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from benefits import aid_services
from benefits.models import AidClaim, AidClaimInvoice, AidEnrolment, AidPayment, MemberAidYear
from members.models import Member, StaffAssignment
from unionportal.core.errors import DomainError
from unionportal.core.models import AuditLog, Notification

from ..factories import make_member, make_staff
from .builders import TODAY, add_document, file_claim, make_plan, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def test_enrolment_once_per_plan_and_only_active_members(member, plan, tree):
    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX1", actor=member.user)
    with pytest.raises(DomainError) as error:
        aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX2", actor=member.user)
    assert (error.value.code, error.value.status) == ("already_enrolled", 409)
    assert AidEnrolment.objects.filter(member=member).count() == 1
    pending = make_member(tree["enterprise_a"], status=Member.Status.PENDING)
    with pytest.raises(DomainError) as error:
        aid_services.aid_enrolment_create(member=pending, plan=plan, payment_reference="WX3", actor=pending.user)
    assert error.value.code == "not_active_member"
    assert Notification.objects.filter(user=member.user, event="aid_enrolled").count() == 1


def test_bulk_enrolment_skips_enrolled_and_inactive(enrolled, plan, tree):
    others = [make_member(tree["enterprise_a"]) for _ in range(3)]
    inactive = make_member(tree["enterprise_a"], status=Member.Status.LEFT)
    staff = make_staff(tree["enterprise_a"])
    result = aid_services.aid_enrolment_bulk(plan=plan, members=[enrolled, *others, inactive], actor=staff,
                                             payment_reference="企业统缴2026")
    assert result == {"enrolled": 3, "skipped": 2}
    assert set(AidEnrolment.objects.filter(plan=plan, paid_by="employer").values_list("member_id", flat=True)) == {
        m.pk for m in others}


def test_claim_needs_an_enrolment_covering_the_admission_date(member, plan):
    with pytest.raises(DomainError) as error:
        file_claim(member)
    assert (error.value.code, error.value.field) == ("not_enrolled", "admitted_on")
    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX1", actor=member.user)
    with pytest.raises(DomainError) as error:  # admitted on 31 December of the year before
        file_claim(member, admitted_on=date(2025, 12, 31), discharged_on=date(2026, 1, 2), today=date(2026, 1, 5))
    assert error.value.code == "not_enrolled"
    claim = file_claim(member, admitted_on=date(2026, 1, 1), discharged_on=date(2026, 1, 2), today=date(2026, 1, 5))
    assert claim.plan == plan and claim.status == "submitted"
    assert list(claim.events.values_list("status", flat=True)) == ["submitted"]
    assert AuditLog.objects.filter(action="aid_claim.submitted", object_id=str(claim.pk)).exists()


@pytest.mark.parametrize("overrides,code,field", [
    ({"self_paid": D("2000.01")}, "amounts_do_not_add_up", "self_paid"),
    ({"insurance_paid": D("3000.01")}, "amounts_do_not_add_up", "insurance_paid"),
    ({"total_cost": D("-1")}, "negative_amount", "total_cost"),
    ({"discharged_on": date(2026, 5, 31)}, "dates_out_of_order", "discharged_on"),
    ({"discharged_on": TODAY + timedelta(days=1)}, "date_in_future", "discharged_on"),
    ({"admitted_on": date(2026, 3, 1), "discharged_on": date(2026, 3, 31)}, "filing_deadline_passed", "discharged_on"),
    ({"invoice_numbers": []}, "required", "invoice_numbers"),
    ({"invoice_numbers": ["A1", "A1"]}, "duplicate_invoice", "invoice_numbers"),
    ({"hospital": " "}, "required", "hospital"),
])
def test_bad_claims_are_refused_naming_the_field_and_nothing_is_saved(enrolled, overrides, code, field):
    with pytest.raises(DomainError) as error:
        file_claim(enrolled, **overrides)
    assert (error.value.code, error.value.field) == (code, field)
    assert AidClaim.objects.count() == 0 and AidClaimInvoice.objects.count() == 0


def test_an_invoice_is_claimed_once_per_plan(enrolled, tree, plan):
    file_claim(enrolled, invoice_numbers=["FP-1", "FP-2"])
    other = make_member(tree["enterprise_b"])
    aid_services.aid_enrolment_create(member=other, plan=plan, payment_reference="WX9", actor=other.user)
    with pytest.raises(DomainError) as error:
        file_claim(other, invoice_numbers=["FP-3", "FP-2"])
    assert error.value.code == "invoice_already_claimed" and "FP-2" in str(error.value.message)
    assert AidClaim.objects.count() == 1
    claim = AidClaim.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():  # the constraint behind the check
        AidClaimInvoice.objects.create(claim=claim, plan=plan, invoice_number="FP-1")


def test_database_refuses_amounts_that_do_not_add_up(enrolled):
    claim = file_claim(enrolled)
    with pytest.raises(IntegrityError), transaction.atomic():
        AidClaim.objects.filter(pk=claim.pk).update(self_paid=D("2500"))
    with pytest.raises(IntegrityError), transaction.atomic():
        AidClaim.objects.filter(pk=claim.pk).update(discharged_on=date(2026, 5, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        AidClaim.objects.filter(pk=claim.pk).update(status="approved")  # approved without a payout


@pytest.mark.parametrize("data,code", [
    (b"", "empty_file"),
    (b"MZ\x90\x00 not an image", "unsupported_file"),
    (b"<html><script>alert(1)</script></html>", "unsupported_file"),
    (pdf_bytes(script="app.alert('x')"), "unsafe_pdf"),
    (pdf_bytes(script="app.alert('x')", hide_names=True), "unsafe_pdf"),
    (b"%PDF-1.4\n garbage that is not a pdf", "unreadable_pdf"),
])
def test_documents_are_checked_by_content(enrolled, data, code):
    claim = file_claim(enrolled)
    with pytest.raises(DomainError) as error:
        add_document(claim, data=data, name="scan.jpg")
    assert (error.value.code, error.value.field) == (code, "file")
    assert claim.documents.count() == 0


def test_documents_have_a_size_limit_and_are_stored_privately(enrolled, settings):
    settings.AID_DOCUMENT_MAX_BYTES = 1024 * 1024
    claim = file_claim(enrolled)
    with pytest.raises(DomainError) as error:
        add_document(claim, data=png_bytes() + b"\0" * (1024 * 1024))
    assert error.value.code == "file_too_large"
    document = add_document(claim, data=pdf_bytes(), name="出院小结.pdf")
    assert document.content_type == "application/pdf" and document.original_name == "出院小结.pdf"
    path = document.file.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT)) and not path.startswith(str(settings.MEDIA_ROOT))
    assert "出院小结" not in path
    with pytest.raises(ValueError):
        document.file.url  # no public URL exists


def test_approval_needs_a_document_and_stores_payout_and_breakdown(enrolled, reviewer):
    claim = file_claim(enrolled, total_cost=D("300000"), insurance_paid=D("50000"), self_paid=D("250000"))
    with pytest.raises(DomainError) as error:
        aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
    assert error.value.code == "documents_missing"
    add_document(claim)
    aid_services.aid_claim_review_start(claim_id=claim.pk, actor=reviewer)
    claim = aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
    assert claim.status == "approved" and claim.payout == D("155550.00")
    assert claim.breakdown[-1] == {"step": "total", "amount": "155550.00"}
    year = MemberAidYear.objects.get(member=enrolled)
    assert (year.deductible_used, year.base_used, year.aid_paid) == (D("1000"), D("249000"), D("155550"))
    assert list(claim.events.values_list("status", flat=True)) == ["submitted", "under_review", "approved"]
    audit = AuditLog.objects.get(action="aid_claim.approved")
    assert audit.changes["payout"] == [None, "155550.00"] and audit.actor == reviewer
    assert Notification.objects.filter(user=enrolled.user, event="aid_claim_approved", body__contains="155550.00").exists()
    with pytest.raises(DomainError) as error:
        aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
    assert error.value.code == "claim_not_open"


def test_guangxi_worked_example_across_two_claims_and_later_term_changes(enrolled, reviewer, plan):
    first = file_claim(enrolled, total_cost=D("400000"), insurance_paid=D("150000"), self_paid=D("250000"))
    second = file_claim(enrolled, admitted_on=date(2026, 6, 10), discharged_on=date(2026, 6, 20),
                        total_cost=D("1670000"), insurance_paid=D("670000"), self_paid=D("1000000"))
    for claim in (first, second):
        add_document(claim)
        aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.payout, second.payout) == (D("155550.00"), D("844450.00"))
    assert MemberAidYear.objects.get(member=enrolled).aid_paid == D("1000000.00")
    plan.yearly_cap = D("200000")
    plan.segments = [{"up_to": None, "rate": "0.10"}]
    plan.save()
    first.refresh_from_db()
    assert first.payout == D("155550.00") and first.breakdown[1]["rate"] == "0.30"  # stored, never recomputed


def test_reject_and_return_need_a_reason_then_resubmit(enrolled, reviewer):
    claim = file_claim(enrolled)
    with pytest.raises(DomainError) as error:
        aid_services.aid_claim_return(claim_id=claim.pk, actor=reviewer, reason="  ")
    assert error.value.field == "reason"
    aid_services.aid_claim_return(claim_id=claim.pk, actor=reviewer, reason="请补充出院小结。")
    with pytest.raises(DomainError):
        aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)  # returned is not open
    add_document(claim)
    aid_services.aid_claim_resubmit(claim_id=claim.pk, member=enrolled)
    claim = aid_services.aid_claim_reject(claim_id=claim.pk, actor=reviewer, reason="不属于住院费用。")
    assert claim.status == "rejected" and claim.payout is None and claim.reason == "不属于住院费用。"
    assert list(claim.events.values_list("status", flat=True)) == ["submitted", "returned", "resubmitted", "rejected"]
    events = set(Notification.objects.filter(user=enrolled.user).values_list("event", flat=True))
    assert {"aid_claim_submitted", "aid_claim_returned", "aid_claim_resubmitted", "aid_claim_rejected"} <= events


def test_review_is_limited_to_the_tree_and_the_role(enrolled, tree):
    claim = file_claim(enrolled)
    add_document(claim)
    outsider = make_staff(tree["district_b"], role=StaffAssignment.Role.ADMIN)
    viewer = make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER)
    for actor, status in ((outsider, 404), (viewer, 403), (enrolled.user, 404)):
        with pytest.raises(DomainError) as error:
            aid_services.aid_claim_approve(claim_id=claim.pk, actor=actor)
        assert error.value.status == status
    claim.refresh_from_db()
    assert claim.status == "submitted" and not MemberAidYear.objects.exists()


def test_staff_cannot_decide_their_own_claim(tree, plan):
    staff = make_staff(tree["district_a"])
    own = make_member(tree["enterprise_a"], user=staff)
    aid_services.aid_enrolment_create(member=own, plan=plan, payment_reference="WX", actor=staff)
    claim = file_claim(own)
    add_document(claim)
    with pytest.raises(DomainError) as error:
        aid_services.aid_claim_approve(claim_id=claim.pk, actor=staff)
    assert error.value.code == "own_claim"


def test_payment_batch_pays_and_notifies_each_member_once(enrolled, reviewer, tree, plan):
    other = make_member(tree["enterprise_a"])
    aid_services.aid_enrolment_create(member=other, plan=plan, payment_reference="WX", actor=other.user)
    claims = [file_claim(enrolled), file_claim(other), file_claim(other)]
    for claim in claims[:2]:
        add_document(claim)
        aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
    city_admin = make_staff(tree["city"])
    payment = aid_services.aid_payment_create(plan=plan, claims=claims, actor=city_admin)
    assert payment.claim_count == 2 and payment.total == D("600.00")  # 2,000 self-paid: 1,000 base × 30 %
    with pytest.raises(DomainError):
        aid_services.aid_payment_create(plan=plan, claims=claims, actor=city_admin)  # nothing left to pay
    aid_services.aid_payment_mark_paid(payment_id=payment.pk, actor=city_admin, bank_reference="ICBC-20260701")
    aid_services.aid_payment_mark_paid(payment_id=payment.pk, actor=city_admin, bank_reference="again")
    payment.refresh_from_db()
    assert payment.status == AidPayment.Status.PAID and payment.bank_reference == "ICBC-20260701"
    assert set(AidClaim.objects.filter(payment=payment).values_list("status", flat=True)) == {"paid"}
    assert Notification.objects.filter(event="aid_claim_paid").count() == 2


def test_plan_terms_are_validated_and_one_plan_per_year(tree):
    with pytest.raises(DomainError) as error:
        make_plan(tree["city"], segments=[{"up_to": "100", "rate": "0.3"}])
    assert error.value.field == "segments"
    make_plan(tree["city"])
    with pytest.raises(DomainError) as error:
        make_plan(tree["city"])
    assert (error.value.code, error.value.status) == ("plan_exists", 409)
