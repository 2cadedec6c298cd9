"""Medical mutual aid: yearly plans, enrolments, claims with invoices and documents,
the member's year counters and payment batches.

Database facts behind the rules:
- one enrolment per member and plan; one member-year row per member and plan;
- an invoice number is claimed once per plan (unique (plan, invoice_number));
- a claim's amounts add up (insurance + self-paid ≤ total cost) and its dates make sense;
- an approved or paid claim carries its payout and breakdown; no other claim does.
The payout rule itself is in `benefits.aid_rules`; writes are in `benefits.aid_services`.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from members.models import Member, Organization, members_union_field
from unionportal.core.pii import EncryptedTextField
from unionportal.core.storage import private_storage

from .. import aid_rules

MONEY = dict(max_digits=12, decimal_places=2)
ZERO = Decimal("0")


def document_upload_to(instance, filename):
    # The member's own file name is kept in a column, not in the path.
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}.get(instance.content_type, "bin")
    return f"aid/claims/{instance.claim_id}/{uuid.uuid4().hex}.{extension}"


class AidPlan(models.Model):
    """A yearly mutual-aid plan of the federation with its terms (data, not code)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="aid_plans", db_index=False,
        verbose_name=pgettext_lazy("aid plan", "run by"),
    )
    year = models.PositiveSmallIntegerField(_("plan year"))
    title = models.CharField(_("title"), max_length=128)
    description = models.TextField(_("description"), blank=True)
    premium = models.DecimalField(_("premium per member (CNY)"), **MONEY, default=Decimal("100.00"))
    coverage_starts_on = models.DateField(_("coverage starts on"))
    coverage_ends_on = models.DateField(_("coverage ends on"))
    filing_deadline_days = models.PositiveSmallIntegerField(
        _("filing deadline (days after discharge)"), default=90,
    )
    is_open_for_enrolment = models.BooleanField(_("open for enrolment"), default=True)
    deductible_per_year = models.DecimalField(_("deductible per member per year"), **MONEY)
    segments = models.JSONField(
        _("segments of the self-paid amount"),
        help_text=_('Progressive bands, e.g. [{"up_to": "10000.00", "rate": "0.30"}, …, {"up_to": null, "rate": "0.95"}].'),
    )
    minimum_payout = models.DecimalField(_("minimum payout"), **MONEY)
    yearly_cap = models.DecimalField(_("yearly maximum per member"), **MONEY)
    allowance_per_day = models.DecimalField(_("hospitalisation allowance per day"), **MONEY)
    allowance_max = models.DecimalField(_("hospitalisation allowance maximum per stay"), **MONEY)
    accident_terms = models.JSONField(
        _("accident-injury terms"), default=dict, blank=True,
        help_text=_('{"rate": "0.50", "max_per_claim": "20000.00"}; empty: no accident benefit.'),
    )
    major_illness_terms = models.JSONField(
        _("major-illness relief terms"), default=dict, blank=True,
        help_text=_('{"threshold": "60000.00", "segments": […], "max_per_year": "50000.00"}; empty: no relief.'),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("mutual-aid plan")
        verbose_name_plural = _("mutual-aid plans")
        ordering = ["-year", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="aid_plan_one_per_year"),
            models.CheckConstraint(condition=Q(coverage_ends_on__gte=F("coverage_starts_on")), name="aid_plan_coverage"),
            models.CheckConstraint(
                condition=Q(premium__gte=0, deductible_per_year__gte=0, minimum_payout__gte=0, yearly_cap__gte=0,
                            allowance_per_day__gte=0, allowance_max__gte=0),
                name="aid_plan_amounts_not_negative",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        for name, check in (("segments", aid_rules.segments_errors),
                            ("accident_terms", aid_rules.accident_terms_errors),
                            ("major_illness_terms", aid_rules.major_illness_terms_errors)):
            problems = check(getattr(self, name))
            if problems:
                errors[name] = problems
        if self.coverage_starts_on and self.coverage_ends_on and self.coverage_ends_on < self.coverage_starts_on:
            errors["coverage_ends_on"] = [_("Coverage cannot end before it starts.")]
        if errors:
            raise ValidationError(errors)

    def terms(self) -> aid_rules.AidTerms:
        return aid_rules.AidTerms(
            deductible_per_year=self.deductible_per_year,
            segments=aid_rules.segments_from_data(self.segments),
            minimum_payout=self.minimum_payout,
            yearly_cap=self.yearly_cap,
            allowance_per_day=self.allowance_per_day,
            allowance_max=self.allowance_max,
            accident=aid_rules.accident_terms_from_data(self.accident_terms),
            major_illness=aid_rules.major_illness_terms_from_data(self.major_illness_terms),
        )

    def covers(self, day) -> bool:
        return self.coverage_starts_on <= day <= self.coverage_ends_on


class AidEnrolment(models.Model):
    """A member's enrolment in a plan: paid by the member or enrolled by their union."""

    class PaidBy(models.TextChoices):
        MEMBER = "member", _("The member")
        EMPLOYER = "employer", _("The employer or union")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="aid_enrolments", verbose_name=_("member"), db_index=False,
    )
    plan = models.ForeignKey(
        AidPlan, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("plan"), db_index=False,
    )
    paid_by = models.CharField(_("paid by"), max_length=16, choices=PaidBy.choices, default=PaidBy.MEMBER)
    payment_reference = models.CharField(_("payment reference"), max_length=64)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("enrolled by"),
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)

    organization = members_union_field()

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("mutual-aid enrolment")
        verbose_name_plural = _("mutual-aid enrolments")
        ordering = ["-enrolled_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["member", "plan"], name="aid_enrolment_once_per_plan")]
        indexes = [
            models.Index(fields=["plan", "-enrolled_at"], name="aid_enrolment_plan_idx"),
            models.Index(fields=["payment_reference"], name="aid_enrolment_reference_idx"),  # the admin's search
            # The back office's list, newest first, read in order a page at a time.
            models.Index(fields=["enrolled_at", "id"], name="aid_enrolment_listed_idx"),
        ]

    def __str__(self):
        return f"{self.member} · {self.plan}"


class AidClaimKind(models.TextChoices):
    HOSPITALISATION = aid_rules.AidKind.HOSPITALISATION, _("Hospitalisation")
    ACCIDENT = aid_rules.AidKind.ACCIDENT, _("Accident injury")
    MAJOR_ILLNESS = aid_rules.AidKind.MAJOR_ILLNESS, _("Major-illness relief")


class AidPayment(models.Model):
    """A batch of approved claims paid by bank transfer together."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being prepared")
        PAID = "paid", _("Paid")

    plan = models.ForeignKey(AidPlan, on_delete=models.PROTECT, related_name="payments", verbose_name=_("plan"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    total = models.DecimalField(_("total (CNY)"), **MONEY, default=ZERO)
    claim_count = models.PositiveIntegerField(_("claims"), default=0)
    bank_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    SCOPE_PATH = "plan__organization__path"

    class Meta:
        verbose_name = _("mutual-aid payment batch")
        verbose_name_plural = _("mutual-aid payment batches")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="aid_payment_total_not_negative"),
            models.CheckConstraint(
                condition=Q(status="paid", paid_at__isnull=False) | Q(status="open", paid_at__isnull=True),
                name="aid_payment_paid_has_time",
            ),
        ]

    def __str__(self):
        return _("Payment batch %(id)s") % {"id": self.pk}


class AidClaim(models.Model):
    """A member's claim for one stay (or accident, or a year's major-illness spending)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        RETURNED = "returned", _("Returned for more documents")
        RESUBMITTED = "resubmitted", _("Resubmitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    OPEN_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.RESUBMITTED)
    DECIDED_WITH_PAYOUT = (Status.APPROVED, Status.PAID)

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="aid_claims", verbose_name=_("member"), db_index=False,
    )
    plan = models.ForeignKey(
        AidPlan, on_delete=models.PROTECT, related_name="claims", verbose_name=_("plan"), db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AidClaimKind.choices, default=AidClaimKind.HOSPITALISATION)
    hospital = models.CharField(_("hospital"), max_length=128)
    admitted_on = models.DateField(_("admitted on"))
    discharged_on = models.DateField(_("discharged on"))
    total_cost = models.DecimalField(_("total cost"), **MONEY)
    insurance_paid = models.DecimalField(_("paid by basic medical insurance"), **MONEY)
    self_paid = models.DecimalField(_("self-paid amount"), **MONEY)
    # Where the aid is transferred; the account number is personal data, stored encrypted.
    payee_bank = models.CharField(_("bank"), max_length=64, blank=True)
    payee_account = EncryptedTextField(_("bank account number"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    payout = models.DecimalField(_("payout"), **MONEY, null=True, blank=True)
    breakdown = models.JSONField(_("breakdown"), null=True, blank=True, editable=False)
    reason = models.CharField(_("reason given to the member"), max_length=255, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    payment = models.ForeignKey(
        AidPayment, on_delete=models.PROTECT, null=True, blank=True, related_name="claims",
        verbose_name=_("payment batch"),
    )

    organization = members_union_field()

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("mutual-aid claim")
        verbose_name_plural = _("mutual-aid claims")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-submitted_at"], name="aid_claim_queue_idx"),
            models.Index(fields=["member", "plan"], name="aid_claim_member_plan_idx"),
            models.Index(fields=["plan", "status"], name="aid_claim_plan_status_idx"),
            # The back office's list, oldest first, read in order a page at a time.
            models.Index(fields=["submitted_at", "id"], name="aid_claim_submitted_idx"),
            # The queue as it opens: the claims waiting for a decision, oldest first.
            models.Index(fields=["submitted_at", "id"], condition=Q(status__in=["submitted", "under_review", "resubmitted"]),
                         name="aid_claim_waiting_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cost__gte=0, insurance_paid__gte=0, self_paid__gte=0),
                name="aid_claim_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_cost__gte=F("insurance_paid") + F("self_paid")), name="aid_claim_amounts_add_up",
            ),
            models.CheckConstraint(condition=Q(discharged_on__gte=F("admitted_on")), name="aid_claim_dates_in_order"),
            models.CheckConstraint(
                condition=(Q(status__in=["approved", "paid"], payout__isnull=False, breakdown__isnull=False)
                           | (~Q(status__in=["approved", "paid"]) & Q(payout__isnull=True))),
                name="aid_claim_payout_when_approved",
            ),
            models.CheckConstraint(condition=Q(payout__isnull=True) | Q(payout__gte=0), name="aid_claim_payout_not_negative"),
            models.CheckConstraint(
                condition=Q(payment__isnull=True) | Q(status__in=["approved", "paid"]), name="aid_claim_paid_only_approved",
            ),
        ]

    def __str__(self):
        return _("Claim %(id)s · %(hospital)s") % {"id": self.pk, "hospital": self.hospital}

    @property
    def masked_payee_account(self) -> str:
        account = self.payee_account or ""
        return "*" * max(len(account) - 4, 0) + account[-4:] if account else ""


class AidClaimInvoice(models.Model):
    """An invoice number on a claim; each is claimed once per plan."""

    claim = models.ForeignKey(AidClaim, on_delete=models.CASCADE, related_name="invoices", verbose_name=_("claim"))
    plan = models.ForeignKey(
        AidPlan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"), db_index=False,
    )
    invoice_number = models.CharField(_("invoice number"), max_length=64)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "invoice_number"], name="aid_invoice_once_per_plan"),
        ]
        # The claims queue is searched by an invoice number alone, whatever the plan.
        indexes = [models.Index(fields=["invoice_number"], name="aid_invoice_number_idx")]

    def __str__(self):
        return self.invoice_number


class AidClaimDocument(models.Model):
    """A scanned document of a claim, kept in private storage and served through a checked view."""

    claim = models.ForeignKey(AidClaim, on_delete=models.CASCADE, related_name="documents", verbose_name=_("claim"))
    file = models.FileField(_("file"), upload_to=document_upload_to, storage=private_storage, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(pgettext_lazy("uploaded file", "content type"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name


class AidClaimEvent(models.Model):
    """One step of a claim's life, shown to the member as a timeline."""

    claim = models.ForeignKey(AidClaim, on_delete=models.CASCADE, related_name="events", verbose_name=_("claim"))
    status = models.CharField(_("status"), max_length=16, choices=AidClaim.Status.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim step")
        verbose_name_plural = _("claim steps")
        ordering = ["created_at", "pk"]


class MemberAidYear(models.Model):
    """A member's approved totals under one plan: the payout rule's D, B0 and A (and the
    major-illness O0 and R). Locked (select_for_update) while a claim is approved."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="aid_years", verbose_name=_("member"), db_index=False,
    )
    plan = models.ForeignKey(AidPlan, on_delete=models.PROTECT, related_name="member_years", verbose_name=_("plan"))
    deductible_used = models.DecimalField(_("deductible used"), **MONEY, default=ZERO)
    base_used = models.DecimalField(_("segment base used"), **MONEY, default=ZERO)
    aid_paid = models.DecimalField(_("aid approved"), **MONEY, default=ZERO)
    major_illness_spending = models.DecimalField(_("own spending counted for major-illness relief"), **MONEY, default=ZERO)
    major_illness_relief = models.DecimalField(_("major-illness relief approved"), **MONEY, default=ZERO)

    organization = members_union_field()

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("member's mutual-aid year")
        verbose_name_plural = _("members' mutual-aid years")
        constraints = [
            models.UniqueConstraint(fields=["member", "plan"], name="aid_year_once_per_plan"),
            models.CheckConstraint(
                condition=Q(deductible_used__gte=0, base_used__gte=0, aid_paid__gte=0, major_illness_spending__gte=0,
                            major_illness_relief__gte=0),
                name="aid_year_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.member} · {self.plan}"
