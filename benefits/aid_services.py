"""Medical mutual aid, writes: plans, enrolments, claims, review and payment.

Each service runs in one transaction, writes an audit row for every state change and
notifies the member inside that transaction (delivered after commit). The API, the admin
and the mobile pages all call these functions: there is one place where a claim is approved.

Approval locks, in this order: the claim row (so one claim is decided once), then the
member's year row (so two claims of the same member never use the same deductible or cap
room). Counters are read after the lock, never before.
"""

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from members.admin_scoping import role_allows
from members.models import Member
from members.scoping import is_in_scope
from unionportal.core.errors import DomainError
from unionportal.core.money import money_round
from unionportal.core.services import audit_log, notification_send

from . import aid_rules
from .aid_documents import document_check
from .models import (
    AidClaim, AidClaimDocument, AidClaimEvent, AidClaimInvoice, AidEnrolment, AidPayment, AidPlan, MemberAidYear,
)

Status = AidClaim.Status
MAX_INVOICES = 20


def _path(member: Member) -> str:
    return member.organization.path


def _money(value) -> str:
    return str(money_round(value)) if value is not None else None


# --- Plans ------------------------------------------------------------------------------------

PLAN_FIELDS = (
    "year", "title", "description", "premium", "coverage_starts_on", "coverage_ends_on", "filing_deadline_days",
    "is_open_for_enrolment", "deductible_per_year", "segments", "minimum_payout", "yearly_cap", "allowance_per_day",
    "allowance_max", "accident_terms", "major_illness_terms",
)


def aid_plan_terms_errors(data: dict) -> dict:
    """Per-field messages for plan terms given as data (empty: the terms are valid)."""
    errors = {}
    for name, check in (("segments", aid_rules.segments_errors),
                        ("accident_terms", aid_rules.accident_terms_errors),
                        ("major_illness_terms", aid_rules.major_illness_terms_errors)):
        if name in data:
            problems = check(data[name])
            if problems:
                errors[name] = problems
    starts, ends = data.get("coverage_starts_on"), data.get("coverage_ends_on")
    if starts and ends and ends < starts:
        errors["coverage_ends_on"] = [str(_("Coverage cannot end before it starts."))]
    return errors


@transaction.atomic
def aid_plan_create(*, actor, organization, **fields) -> AidPlan:
    """Create a yearly plan of `organization` (the caller checked they may)."""
    errors = aid_plan_terms_errors(fields)
    if errors:
        field, messages = next(iter(errors.items()))
        raise DomainError("invalid_terms", messages[0], field=field)
    if AidPlan.objects.filter(organization=organization, year=fields["year"]).exists():
        raise DomainError("plan_exists", _("This organisation already has a plan for that year."), status=409,
                          field="year")
    plan = AidPlan(organization=organization, **{k: v for k, v in fields.items() if k in PLAN_FIELDS})
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise DomainError("plan_exists", _("This organisation already has a plan for that year."), status=409,
                          field="year") from None
    audit_log(actor=actor, action="aid_plan.created", obj=plan, organization_path=organization.path,
              changes={"year": plan.year, "title": plan.title})
    return plan


# --- Enrolment --------------------------------------------------------------------------------

def _enrolment_notify(enrolment):
    notification_send(
        user=enrolment.member.user, event="aid_enrolled",
        message=format_lazy(_("You are enrolled in {plan}. Coverage: {starts} to {ends}."),
                            plan=enrolment.plan.title, starts=enrolment.plan.coverage_starts_on,
                            ends=enrolment.plan.coverage_ends_on),
    )


@transaction.atomic
def aid_enrolment_create(*, member: Member, plan: AidPlan, payment_reference: str, actor,
                         paid_by=AidEnrolment.PaidBy.MEMBER) -> AidEnrolment:
    """Enrol one member; 409 `already_enrolled` if they are."""
    if not plan.is_open_for_enrolment:
        raise DomainError("enrolment_closed", _("This plan is not open for enrolment."), field="plan")
    if member.status != Member.Status.ACTIVE:
        raise DomainError("not_active_member", _("Only verified members can enrol."), status=403)
    payment_reference = (payment_reference or "").strip()
    if not payment_reference:
        raise DomainError("required", _("Give the payment reference."), field="payment_reference")
    try:
        with transaction.atomic():
            enrolment = AidEnrolment.objects.create(
                member=member, plan=plan, payment_reference=payment_reference, paid_by=paid_by,
                enrolled_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        raise DomainError("already_enrolled", _("You are already enrolled in this plan."), status=409) from None
    audit_log(actor=actor, action="aid_enrolment.created", obj=enrolment, organization_path=_path(member),
              changes={"plan": plan.pk, "paid_by": paid_by, "payment_reference": payment_reference})
    _enrolment_notify(enrolment)
    return enrolment


@transaction.atomic
def aid_enrolment_bulk(*, plan: AidPlan, members, actor, payment_reference: str) -> dict:
    """Enrol a union's roster paid by the employer; members already enrolled are skipped.

    Returns {"enrolled": n, "skipped": n}. Members must be active; others are skipped too.
    """
    if not plan.is_open_for_enrolment:
        raise DomainError("enrolment_closed", _("This plan is not open for enrolment."), field="plan")
    enrolled = skipped = 0
    already = set(AidEnrolment.objects.filter(plan=plan, member__in=members).values_list("member_id", flat=True))
    for member in members:
        if member.pk in already or member.status != Member.Status.ACTIVE:
            skipped += 1
            continue
        try:
            with transaction.atomic():
                enrolment = AidEnrolment.objects.create(
                    member=member, plan=plan, payment_reference=payment_reference,
                    paid_by=AidEnrolment.PaidBy.EMPLOYER, enrolled_by=actor,
                )
        except IntegrityError:  # enrolled meanwhile by themselves
            skipped += 1
            continue
        audit_log(actor=actor, action="aid_enrolment.created", obj=enrolment, organization_path=_path(member),
                  changes={"plan": plan.pk, "paid_by": "employer", "payment_reference": payment_reference})
        _enrolment_notify(enrolment)
        enrolled += 1
    return {"enrolled": enrolled, "skipped": skipped}


# --- Claims: filing -----------------------------------------------------------------------------

def _event(claim, status, note=""):
    AidClaimEvent.objects.create(claim=claim, status=status, note=note)


def _claim_notify(claim, event, message):
    notification_send(user=claim.member.user, event=event, message=message)


def aid_claim_check_facts(*, admitted_on: date, discharged_on: date, total_cost: Decimal, insurance_paid: Decimal,
                          self_paid: Decimal, today: date) -> None:
    """The checks of a claim's own figures, each naming its field."""
    if discharged_on < admitted_on:
        raise DomainError("dates_out_of_order", _("Discharge cannot be before admission."), field="discharged_on")
    if discharged_on > today:
        raise DomainError("date_in_future", _("The discharge date cannot be in the future."), field="discharged_on")
    for name, value in (("total_cost", total_cost), ("insurance_paid", insurance_paid), ("self_paid", self_paid)):
        if value < 0:
            raise DomainError("negative_amount", _("Amounts cannot be negative."), field=name)
    if insurance_paid > total_cost:
        raise DomainError("amounts_do_not_add_up", _("Insurance cannot have paid more than the total cost."),
                          field="insurance_paid")
    if self_paid > total_cost - insurance_paid:
        raise DomainError(
            "amounts_do_not_add_up",
            _("The self-paid amount cannot be more than the total cost minus what insurance paid (%(room)s).")
            % {"room": money_round(total_cost - insurance_paid)},
            field="self_paid",
        )


def _clean_invoice_numbers(invoice_numbers) -> list[str]:
    numbers = [str(n).strip() for n in invoice_numbers or [] if str(n).strip()]
    if not numbers:
        raise DomainError("required", _("Give at least one invoice number."), field="invoice_numbers")
    if len(numbers) > MAX_INVOICES:
        raise DomainError("too_many_invoices", _("At most %(n)s invoice numbers per claim.") % {"n": MAX_INVOICES},
                          field="invoice_numbers")
    if len(set(numbers)) != len(numbers):
        raise DomainError("duplicate_invoice", _("An invoice number is listed twice."), field="invoice_numbers")
    return numbers


def aid_enrolment_covering(member: Member, day: date) -> AidEnrolment | None:
    return (AidEnrolment.objects.select_related("plan")
            .filter(member=member, plan__coverage_starts_on__lte=day, plan__coverage_ends_on__gte=day)
            .order_by("-plan__year").first())


@transaction.atomic
def aid_claim_submit(*, member: Member, kind: str, hospital: str, admitted_on: date, discharged_on: date,
                     total_cost: Decimal, insurance_paid: Decimal, self_paid: Decimal, invoice_numbers,
                     today: date, documents=(), payee_bank: str = "", payee_account: str = "") -> AidClaim:
    """File a claim under the plan the member is enrolled in for the admission date.

    `documents` are (bytes, file name) pairs, checked and stored with the claim, all or nothing.
    """
    if not (hospital or "").strip():
        raise DomainError("required", _("Give the hospital."), field="hospital")
    aid_claim_check_facts(admitted_on=admitted_on, discharged_on=discharged_on, total_cost=total_cost,
                          insurance_paid=insurance_paid, self_paid=self_paid, today=today)
    numbers = _clean_invoice_numbers(invoice_numbers)
    payee_account = "".join((payee_account or "").split())
    if payee_account and not (payee_account.isdigit() and 8 <= len(payee_account) <= 30):
        raise DomainError("invalid_account", _("A bank account number has 8 to 30 digits."), field="payee_account")
    enrolment = aid_enrolment_covering(member, admitted_on)
    if enrolment is None:
        raise DomainError("not_enrolled", _("You are not enrolled in a plan covering the admission date."),
                          field="admitted_on")
    plan = enrolment.plan
    if (today - discharged_on).days > plan.filing_deadline_days:
        raise DomainError(
            "filing_deadline_passed",
            _("Claims must be filed within %(days)s days of discharge.") % {"days": plan.filing_deadline_days},
            field="discharged_on",
        )
    if kind == aid_rules.AidKind.ACCIDENT and not plan.accident_terms:
        raise DomainError("not_covered", _("This plan has no accident-injury benefit."), field="kind")
    if kind == aid_rules.AidKind.MAJOR_ILLNESS and not plan.major_illness_terms:
        raise DomainError("not_covered", _("This plan has no major-illness relief."), field="kind")
    taken = list(AidClaimInvoice.objects.filter(plan=plan, invoice_number__in=numbers)
                 .values_list("invoice_number", flat=True))
    if taken:
        raise DomainError("invoice_already_claimed",
                          _("Invoice %(number)s has already been claimed.") % {"number": taken[0]},
                          field="invoice_numbers")
    claim = AidClaim.objects.create(
        member=member, plan=plan, kind=kind, hospital=hospital.strip(), admitted_on=admitted_on,
        discharged_on=discharged_on, total_cost=total_cost, insurance_paid=insurance_paid, self_paid=self_paid,
        payee_bank=(payee_bank or "").strip()[:64], payee_account=payee_account,
    )
    try:
        with transaction.atomic():
            AidClaimInvoice.objects.bulk_create(
                [AidClaimInvoice(claim=claim, plan=plan, invoice_number=n) for n in numbers])
    except IntegrityError:  # the same invoice filed at the same moment by another request
        raise DomainError("invoice_already_claimed", _("One of these invoices has already been claimed."),
                          field="invoice_numbers") from None
    for data, filename in documents:
        try:
            aid_claim_document_add(claim=claim, actor=member.user, data=data, filename=filename)
        except DomainError as error:
            raise DomainError(error.code, error.message, status=error.status, field="documents") from None
    _event(claim, Status.SUBMITTED)
    audit_log(actor=member.user, action="aid_claim.submitted", obj=claim, organization_path=_path(member),
              changes={"status": [None, Status.SUBMITTED], "self_paid": _money(self_paid), "invoices": numbers})
    message = (_("Your mutual-aid claim no. {id} was received and will be reviewed.") if documents
               else _("Your mutual-aid claim no. {id} was received. Please upload the scanned documents."))
    _claim_notify(claim, "aid_claim_submitted", format_lazy(message, id=claim.pk))
    return claim


@transaction.atomic
def aid_claim_document_add(*, claim: AidClaim, actor, data: bytes, filename: str) -> AidClaimDocument:
    """Attach a checked document to an undecided claim (the caller checked it is theirs)."""
    if claim.status not in (*AidClaim.OPEN_STATUSES, Status.RETURNED):
        raise DomainError("claim_decided", _("Documents can no longer be added to this claim."), status=409)
    content_type = document_check(data)
    document = AidClaimDocument(
        claim=claim, original_name=(filename or "document")[-200:], content_type=content_type, size=len(data),
        uploaded_by=actor,
    )
    document.file.save("upload", ContentFile(data), save=False)
    document.save()
    audit_log(actor=actor, action="aid_claim.document_added", obj=claim, organization_path=_path(claim.member),
              changes={"document": document.pk, "content_type": content_type, "size": len(data)})
    return document


@transaction.atomic
def aid_claim_resubmit(*, claim_id: int, member: Member) -> AidClaim:
    """A returned claim goes back to the queue once the member has added what was asked for."""
    claim = AidClaim.objects.select_for_update().select_related("member__organization").get(pk=claim_id,
                                                                                            member=member)
    if claim.status != Status.RETURNED:
        raise DomainError("not_returned", _("Only a returned claim can be resubmitted."), status=409)
    claim.status = Status.RESUBMITTED
    claim.save(update_fields=["status"])
    _event(claim, Status.RESUBMITTED)
    audit_log(actor=member.user, action="aid_claim.resubmitted", obj=claim, organization_path=_path(member),
              changes={"status": [Status.RETURNED, Status.RESUBMITTED]})
    _claim_notify(claim, "aid_claim_resubmitted",
                  format_lazy(_("Your mutual-aid claim no. {id} is back in review."), id=claim.pk))
    return claim


# --- Claims: review ------------------------------------------------------------------------------

def _lock_for_review(claim_id: int, actor) -> AidClaim:
    """The claim, locked, if `actor` may review it: 404 outside their tree, 403 without the role."""
    claim = (AidClaim.objects.select_for_update(of=("self",)).select_related("member__organization", "member__user",
                                                                              "plan")
             .filter(pk=claim_id).first())
    if claim is None or not is_in_scope(actor, claim.member.organization):
        raise DomainError("not_found", _("No such claim."), status=404)
    if not role_allows(actor, "change"):
        raise DomainError("not_allowed", _("Your role may not review claims."), status=403)
    if claim.member.user_id == actor.pk:
        raise DomainError("own_claim", _("You cannot review your own claim."), status=403)
    return claim


def _require_open(claim):
    if claim.status not in AidClaim.OPEN_STATUSES:
        raise DomainError("claim_not_open", _("This claim is %(status)s and cannot be reviewed again.")
                          % {"status": claim.get_status_display()}, status=409)


@transaction.atomic
def aid_claim_review_start(*, claim_id: int, actor) -> AidClaim:
    claim = _lock_for_review(claim_id, actor)
    if claim.status not in (Status.SUBMITTED, Status.RESUBMITTED):
        raise DomainError("claim_not_waiting", _("This claim is not waiting for review."), status=409)
    old = claim.status
    claim.status = Status.UNDER_REVIEW
    claim.save(update_fields=["status"])
    _event(claim, Status.UNDER_REVIEW)
    audit_log(actor=actor, action="aid_claim.review_started", obj=claim, organization_path=_path(claim.member),
              changes={"status": [old, Status.UNDER_REVIEW]})
    _claim_notify(claim, "aid_claim_under_review",
                  format_lazy(_("Your mutual-aid claim no. {id} is being reviewed."), id=claim.pk))
    return claim


def _lock_member_year(claim) -> MemberAidYear:
    # Create the row if it is missing without racing: INSERT … ON CONFLICT DO NOTHING, then lock.
    MemberAidYear.objects.bulk_create([MemberAidYear(member_id=claim.member_id, plan_id=claim.plan_id)],
                                      ignore_conflicts=True)
    return MemberAidYear.objects.select_for_update().get(member_id=claim.member_id, plan_id=claim.plan_id)


@transaction.atomic
def aid_claim_approve(*, claim_id: int, actor, now=None) -> AidClaim:
    """Fix the payout of an open claim and move the member's year counters, under the locks."""
    claim = _lock_for_review(claim_id, actor)
    _require_open(claim)
    if not claim.documents.exists():
        raise DomainError("documents_missing", _("A claim can only be approved with at least one document."),
                          status=409)
    year = _lock_member_year(claim)
    facts = aid_rules.AidClaimFacts(
        kind=claim.kind, self_paid=claim.self_paid, days=aid_rules.stay_days(claim.admitted_on, claim.discharged_on),
        deductible_used=year.deductible_used, base_used=year.base_used, paid_this_year=year.aid_paid,
        major_illness_spending_used=year.major_illness_spending, major_illness_paid=year.major_illness_relief,
    )
    payout = aid_rules.aid_payout(facts, claim.plan.terms())
    before = {"deductible_used": _money(year.deductible_used), "base_used": _money(year.base_used),
              "aid_paid": _money(year.aid_paid)}
    year.deductible_used += payout.deductible_used
    year.base_used += payout.base
    year.aid_paid += payout.amount
    year.major_illness_spending += payout.major_illness_spending
    year.major_illness_relief += payout.major_illness_relief
    year.save()
    old = claim.status
    claim.status = Status.APPROVED
    claim.payout = payout.amount
    claim.breakdown = payout.breakdown()
    claim.decided_at = now or timezone.now()
    claim.decided_by = actor
    claim.reason = ""
    claim.save(update_fields=["status", "payout", "breakdown", "decided_at", "decided_by", "reason"])
    _event(claim, Status.APPROVED)
    audit_log(actor=actor, action="aid_claim.approved", obj=claim, organization_path=_path(claim.member),
              changes={"status": [old, Status.APPROVED], "payout": [None, _money(payout.amount)],
                       "year_before": before,
                       "year_after": {"deductible_used": _money(year.deductible_used),
                                      "base_used": _money(year.base_used), "aid_paid": _money(year.aid_paid)}})
    _claim_notify(claim, "aid_claim_approved",
                  format_lazy(_("Your mutual-aid claim no. {id} was approved: {amount} CNY will be paid to you."),
                              id=claim.pk, amount=_money(payout.amount)))
    return claim


def _decide_with_reason(*, claim_id, actor, reason, status, action, event, message, now=None):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("required", _("Give a reason the member will read."), field="reason")
    claim = _lock_for_review(claim_id, actor)
    _require_open(claim)
    old = claim.status
    claim.status = status
    claim.reason = reason[:255]
    fields = ["status", "reason"]
    if status == Status.REJECTED:
        claim.decided_at = now or timezone.now()
        claim.decided_by = actor
        fields += ["decided_at", "decided_by"]
    claim.save(update_fields=fields)
    _event(claim, status, claim.reason)
    audit_log(actor=actor, action=action, obj=claim, organization_path=_path(claim.member),
              changes={"status": [old, status], "reason": claim.reason})
    _claim_notify(claim, event, format_lazy(message, id=claim.pk, reason=claim.reason))
    return claim


@transaction.atomic
def aid_claim_reject(*, claim_id: int, actor, reason: str, now=None) -> AidClaim:
    return _decide_with_reason(
        claim_id=claim_id, actor=actor, reason=reason, status=Status.REJECTED, action="aid_claim.rejected",
        event="aid_claim_rejected", now=now,
        message=_("Your mutual-aid claim no. {id} was not approved. Reason: {reason}"),
    )


@transaction.atomic
def aid_claim_return(*, claim_id: int, actor, reason: str) -> AidClaim:
    return _decide_with_reason(
        claim_id=claim_id, actor=actor, reason=reason, status=Status.RETURNED, action="aid_claim.returned",
        event="aid_claim_returned",
        message=_("Your mutual-aid claim no. {id} needs more documents: {reason} Please upload them and resubmit."),
    )


# --- Payment ---------------------------------------------------------------------------------------

@transaction.atomic
def aid_payment_create(*, plan: AidPlan, claims, actor) -> AidPayment:
    """Put approved, unpaid claims of `plan` (already scoped by the caller) into a new batch."""
    ids = [c.pk for c in claims]
    locked = list(AidClaim.objects.select_for_update().filter(
        pk__in=ids, plan=plan, status=Status.APPROVED, payment__isnull=True).order_by("pk"))
    if not locked:
        raise DomainError("nothing_to_pay", _("None of these claims is approved and waiting for payment."))
    payment = AidPayment.objects.create(
        plan=plan, created_by=actor, claim_count=len(locked), total=sum((c.payout for c in locked), Decimal("0")),
    )
    AidClaim.objects.filter(pk__in=[c.pk for c in locked]).update(payment=payment)
    audit_log(actor=actor, action="aid_payment.created", obj=payment, organization_path=plan.organization.path,
              changes={"claims": [c.pk for c in locked], "total": _money(payment.total)})
    return payment


@transaction.atomic
def aid_payment_mark_paid(*, payment_id: int, actor, bank_reference: str, now=None) -> AidPayment:
    """The bank has paid the batch: every claim becomes paid and every member gets the payment SMS."""
    payment = AidPayment.objects.select_for_update().select_related("plan__organization").get(pk=payment_id)
    if payment.status == AidPayment.Status.PAID:
        return payment  # marking twice changes nothing and sends nothing twice
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise DomainError("required", _("Give the bank's transfer reference."), field="bank_reference")
    payment.status = AidPayment.Status.PAID
    payment.paid_at = now or timezone.now()
    payment.bank_reference = bank_reference[:64]
    payment.save(update_fields=["status", "paid_at", "bank_reference"])
    claims = list(payment.claims.select_for_update(of=("self",)).select_related("member__user", "member__organization"))
    for claim in claims:
        claim.status = Status.PAID
        claim.save(update_fields=["status"])
        _event(claim, Status.PAID)
        audit_log(actor=actor, action="aid_claim.paid", obj=claim, organization_path=_path(claim.member),
                  changes={"status": [Status.APPROVED, Status.PAID], "payment": payment.pk})
        _claim_notify(claim, "aid_claim_paid",
                      format_lazy(_("Mutual aid of {amount} CNY for claim no. {id} has been transferred to you."),
                                  amount=_money(claim.payout), id=claim.pk))
    audit_log(actor=actor, action="aid_payment.paid", obj=payment, organization_path=payment.plan.organization.path,
              changes={"status": [AidPayment.Status.OPEN, AidPayment.Status.PAID], "bank_reference": bank_reference})
    return payment
