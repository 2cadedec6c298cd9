"""Welfare coupons: campaigns, batches, issued coupons, redemptions and lottery draws.

Every "at most" rule is a database fact:
- a batch is never oversold: CheckConstraint(claimed <= quantity), and claims raise
  `claimed` with a conditional UPDATE;
- nobody gets more than the per-member limit: one `CouponClaimCount` row per member and
  campaign (and per member and batch) carries the limit it was created under, with
  CheckConstraint(claimed <= claim_limit);
- a redemption's Idempotency-Key is unique per merchant; a pickup code is unique among
  live coupons (partial unique index).
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from members.models import Member, Organization, WorkerCategory

from .merchants import CouponKind, Merchant

MONEY = dict(max_digits=12, decimal_places=2)


class Campaign(models.Model):
    """A coupon campaign of one organisation, e.g. 月满中秋，好券相伴, with a budget."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="coupon_campaigns", verbose_name=_("organisation"),
    )
    title = models.CharField(_("title"), max_length=128)
    description = models.TextField(_("description"), blank=True)
    budget = models.DecimalField(_("budget (CNY)"), **MONEY)
    claim_starts_at = models.DateTimeField(_("claiming opens at"))
    claim_ends_at = models.DateTimeField(_("claiming closes at"))
    use_ends_at = models.DateTimeField(_("coupons valid until"))
    per_member_limit = models.PositiveSmallIntegerField(
        _("coupons per member (whole campaign)"), default=1,
        help_text=_("How many coupons one member may hold from all batches of this campaign together."),
    )
    # Eligibility; empty / unset means "no restriction" on that attribute.
    worker_categories = ArrayField(
        models.CharField(max_length=32, choices=WorkerCategory.choices), blank=True, default=list,
        verbose_name=_("only these worker categories"),
    )
    eligible_organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("only members under"),
        help_text=_("Leave empty for every member under the campaign's organisation."),
    )
    frontline_only = models.BooleanField(_("front-line workers only"), default=False)
    created_by = models.ForeignKey(
        "members.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATH = "organization__path"

    class Meta:
        verbose_name = _("coupon campaign")
        verbose_name_plural = _("coupon campaigns")
        ordering = ["-claim_starts_at", "-pk"]
        indexes = [models.Index(fields=["claim_ends_at", "organization"], name="campaign_open_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="campaign_budget_not_negative"),
            models.CheckConstraint(condition=Q(per_member_limit__gte=1), name="campaign_limit_positive"),
            models.CheckConstraint(condition=Q(claim_ends_at__gt=F("claim_starts_at")), name="campaign_claim_window"),
            models.CheckConstraint(condition=Q(use_ends_at__gte=F("claim_ends_at")), name="campaign_use_after_claim"),
        ]

    def __str__(self):
        return self.title


class CouponBatch(models.Model):
    """Coupons of one kind and face value within a campaign; `claimed` counts those handed out."""

    class Mode(models.TextChoices):
        FIRST_COME = "first_come", _("First come, first served")
        LOTTERY = "lottery", _("Apply, then lottery")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="batches", verbose_name=_("campaign"))
    kind = models.CharField(_("coupon kind"), max_length=16, choices=CouponKind.choices)
    title = models.CharField(_("title"), max_length=128, blank=True)
    face_value = models.DecimalField(_("face value (CNY)"), **MONEY)
    quantity = models.PositiveIntegerField(_("quantity"))
    claimed = models.PositiveIntegerField(_("claimed"), default=0, editable=False)
    per_member_limit = models.PositiveSmallIntegerField(_("coupons per member (this batch)"), default=1)
    mode = models.CharField(_("allocation"), max_length=16, choices=Mode.choices, default=Mode.FIRST_COME)
    # Unset windows follow the campaign's.
    claim_starts_at = models.DateTimeField(_("claiming opens at"), null=True, blank=True)
    claim_ends_at = models.DateTimeField(_("claiming closes at"), null=True, blank=True)
    use_ends_at = models.DateTimeField(_("coupons valid until"), null=True, blank=True)
    merchants = models.ManyToManyField(Merchant, blank=True, related_name="coupon_batches", verbose_name=_("merchants"))
    issues_pickup_codes = models.BooleanField(
        _("issues pickup codes"), default=False, editable=False,
        help_text=_("Set when a vending machine accepts this batch: each coupon then carries a short pickup code."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    SCOPE_PATH = "campaign__organization__path"

    class Meta:
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")
        ordering = ["campaign", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(claimed__lte=F("quantity")), name="batch_not_oversold"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="batch_quantity_positive"),
            models.CheckConstraint(condition=Q(face_value__gt=0), name="batch_face_value_positive"),
            models.CheckConstraint(condition=Q(per_member_limit__gte=1), name="batch_limit_positive"),
            models.CheckConstraint(
                condition=Q(claim_starts_at__isnull=True) | Q(claim_ends_at__isnull=True)
                | Q(claim_ends_at__gt=F("claim_starts_at")),
                name="batch_claim_window",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.get_kind_display()} {self.face_value}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.claimed

    @property
    def effective_claim_starts_at(self):
        return self.claim_starts_at or self.campaign.claim_starts_at

    @property
    def effective_claim_ends_at(self):
        return self.claim_ends_at or self.campaign.claim_ends_at

    @property
    def effective_use_ends_at(self):
        return self.use_ends_at or self.campaign.use_ends_at


class CouponClaimCount(models.Model):
    """How many coupons a member holds from one campaign (batch unset) or one batch.

    `claim_limit` is copied from the campaign or batch when the row is made, so the check
    constraint alone guarantees that nobody exceeds their limit, whatever the code does.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    # Found by claim_count_batch_member (a batch's rows all have one): no index of its own.
    batch = models.ForeignKey(
        CouponBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False,
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    claimed = models.PositiveSmallIntegerField(default=0)
    claim_limit = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "member"], condition=Q(batch__isnull=True), name="claim_count_campaign_member",
            ),
            models.UniqueConstraint(
                fields=["batch", "member"], condition=Q(batch__isnull=False), name="claim_count_batch_member",
            ),
            models.CheckConstraint(condition=Q(claimed__lte=F("claim_limit")), name="claim_count_within_limit"),
        ]


class Coupon(models.Model):
    """One coupon in a member's wallet."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Not used yet")
        REDEEMED = "redeemed", _("Used")
        EXPIRED = "expired", _("Expired")
        VOID = "void", _("Voided")

    # Every claim writes a row into each of this table's indexes, and every redemption (status
    # is indexed) again: the batch and member are found by the indexes below that lead with
    # them, the code by its unique constraint alone (only ever looked up whole).
    batch = models.ForeignKey(
        CouponBatch, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("batch"), db_index=False,
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("member"), db_index=False,
    )
    code = models.CharField(_("coupon code"), max_length=24)
    pickup_code = models.CharField(_("pickup code"), max_length=8, blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ISSUED)
    issued_at = models.DateTimeField(_("claimed at"))
    expires_at = models.DateTimeField(_("valid until"))
    redeemed_at = models.DateTimeField(_("used at"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, null=True, blank=True, related_name="redeemed_coupons",
        verbose_name=_("used at merchant"), db_index=False,
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=255, blank=True)

    SCOPE_PATH = "batch__campaign__organization__path"

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        indexes = [
            models.Index(fields=["member", "-issued_at"], name="coupon_member_idx"),
            models.Index(fields=["batch", "status"], name="coupon_batch_status_idx"),
            models.Index(fields=["expires_at"], condition=Q(status="issued"), name="coupon_expiry_due_idx"),
            models.Index(fields=["pickup_code"], condition=~Q(pickup_code=""), name="coupon_pickup_lookup_idx"),
            # Unused coupons, most of them, have no merchant: only the used ones are indexed.
            models.Index(fields=["redeemed_by"], condition=Q(redeemed_by__isnull=False), name="coupon_redeemed_by_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="coupon_code_unique"),
            models.UniqueConstraint(
                fields=["pickup_code"], condition=Q(status="issued") & ~Q(pickup_code=""),
                name="coupon_live_pickup_code_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status="redeemed") | Q(redeemed_at__isnull=False, redeemed_by__isnull=False),
                name="coupon_redeemed_has_merchant",
            ),
        ]

    def __str__(self):
        return self.code


class Redemption(models.Model):
    """One redeem call of a merchant, keyed by its Idempotency-Key: replays answer the same."""

    # Found by redemption_merchant_idx and the idempotency key's constraint, which lead with it.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("merchant"), db_index=False,
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    request_fingerprint = models.CharField(max_length=64)
    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="redemptions", verbose_name=_("coupon"),
    )
    response_status = models.PositiveSmallIntegerField(_("answer status"))
    response_body = models.JSONField(_("answer"), default=dict)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    SCOPE_PATH = "merchant__organization__path"

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "idempotency_key"], name="redemption_idempotency_key_unique"),
        ]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="redemption_merchant_idx"),
            models.Index(fields=["idempotency_key"], name="redemption_key_idx"),  # the admin's search, any merchant
            # The admin's answer-status filter: its values and its pages (core.admin_filters).
            models.Index(fields=["response_status", "id"], name="redemption_status_idx"),
        ]


class LotteryApplication(models.Model):
    """A member's application to a lottery batch; the draw fills in the outcome."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        WON = "won", _("Won")
        LOST = "lost", _("Not drawn")

    batch = models.ForeignKey(
        CouponBatch, on_delete=models.CASCADE, related_name="applications", verbose_name=_("batch"), db_index=False,
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="lottery_applications", verbose_name=_("member"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.APPLIED)
    draw_position = models.PositiveIntegerField(_("position in the draw"), null=True, blank=True)
    coupon = models.OneToOneField(Coupon, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)

    SCOPE_PATH = "batch__campaign__organization__path"

    class Meta:
        verbose_name = _("lottery application")
        verbose_name_plural = _("lottery applications")
        constraints = [models.UniqueConstraint(fields=["batch", "member"], name="lottery_one_application_each")]


class LotteryDraw(models.Model):
    """The draw of a lottery batch, with the seed that reproduces it."""

    batch = models.OneToOneField(CouponBatch, on_delete=models.PROTECT, related_name="draw", verbose_name=_("batch"))
    seed = models.CharField(_("random seed"), max_length=64)
    applicants = models.PositiveIntegerField(_("applicants"))
    winners = models.PositiveIntegerField(_("winners"))
    drawn_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    SCOPE_PATH = "batch__campaign__organization__path"

    class Meta:
        verbose_name = _("lottery draw")
        verbose_name_plural = _("lottery draws")

    def __str__(self):
        return f"{self.batch} · {self.seed[:8]}…"
