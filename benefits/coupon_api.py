"""Coupon API: members claim and list, partners redeem, staff set campaigns up."""

from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from members.admin_scoping import role_allows
from members.models import Organization, WorkerCategory
from members.scoping import scope_queryset, staff_assignment
from unionportal.core.answers import json_answer
from unionportal.core.api import ErrorSerializer
from unionportal.core.errors import DomainError
from unionportal.core.labels import choice_labels
from unionportal.core.permissions import IsMember, IsStaffInTree, api_key_scope
from unionportal.core.prepared import PreparedStatementsMixin
from unionportal.core.representation import iso_datetime

from . import coupon_rules as rules
from . import coupon_selectors as selectors
from . import coupon_services as services
from .coupon_throttling import RedeemGuessThrottle
from .models import Campaign, Coupon, CouponBatch, CouponKind, LotteryApplication, Merchant

MONEY = dict(max_digits=12, decimal_places=2)


class StaffMayWrite(BasePermission):
    """Writes need an administrator role; viewers and reviewers only read."""

    message = _("Your role may not change this.")

    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS") or role_allows(request.user, "add")


def _own_organization(user) -> Organization:
    assignment = staff_assignment(user)
    if assignment is None:
        raise DomainError("organization_required", _("Please choose an organisation."), field="organization")
    return assignment.organization


def _organization_in_scope(user, organization_id) -> Organization:
    if organization_id is None:
        return _own_organization(user)
    found = scope_queryset(Organization.objects.all(), user).filter(pk=organization_id).first()
    if found is None:
        raise DomainError("unknown_organization", _("No such organisation in your part of the union."), field="organization")
    return found


# --- Members ---------------------------------------------------------------------------------

class BatchOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    title = serializers.CharField()
    face_value = serializers.DecimalField(**MONEY)
    quantity = serializers.IntegerField()
    remaining = serializers.IntegerField()
    mode = serializers.ChoiceField(choices=CouponBatch.Mode.choices)
    per_member_limit = serializers.IntegerField()
    claim_starts_at = serializers.DateTimeField(source="effective_claim_starts_at")
    claim_ends_at = serializers.DateTimeField(source="effective_claim_ends_at")
    use_ends_at = serializers.DateTimeField(source="effective_use_ends_at")
    eligible = serializers.BooleanField()
    claimed_by_me = serializers.IntegerField(help_text=_("How many coupons of this batch the member holds."))
    applied = serializers.BooleanField(help_text=_("Lottery batches: the member has applied."))


class CampaignOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    organization = serializers.CharField(source="organization.name")
    claim_starts_at = serializers.DateTimeField()
    claim_ends_at = serializers.DateTimeField()
    use_ends_at = serializers.DateTimeField()
    per_member_limit = serializers.IntegerField()
    eligible = serializers.BooleanField()
    not_eligible_reason = serializers.CharField(allow_blank=True)
    batches = BatchOutSerializer(many=True, source="batch_rows")


class CampaignInSerializer(serializers.Serializer):
    title = serializers.CharField(label=_("title"), max_length=128)
    description = serializers.CharField(label=_("description"), required=False, allow_blank=True, default="")
    organization = serializers.IntegerField(label=_("organisation"), required=False, allow_null=True, default=None)
    budget = serializers.DecimalField(label=_("budget (CNY)"), min_value=Decimal("0"), **MONEY)
    claim_starts_at = serializers.DateTimeField(label=_("claiming opens at"))
    claim_ends_at = serializers.DateTimeField(label=_("claiming closes at"))
    use_ends_at = serializers.DateTimeField(label=_("coupons valid until"))
    per_member_limit = serializers.IntegerField(label=_("coupons per member"), min_value=1, max_value=100, default=1)
    worker_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=WorkerCategory.choices), required=False, default=list,
    )
    frontline_only = serializers.BooleanField(default=False)
    eligible_organization = serializers.IntegerField(required=False, allow_null=True, default=None)


class CampaignCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id")
    budget = serializers.DecimalField(**MONEY)
    claim_starts_at = serializers.DateTimeField()
    claim_ends_at = serializers.DateTimeField()
    use_ends_at = serializers.DateTimeField()
    per_member_limit = serializers.IntegerField()
    worker_categories = serializers.ListField(child=serializers.CharField())
    frontline_only = serializers.BooleanField()


class CouponCampaignsView(ListAPIView):
    def get_permissions(self):
        if self.request.method == "POST":
            return [IsStaffInTree(), StaffMayWrite()]
        return [IsMember()]

    queryset = Campaign.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()
        return selectors.campaigns_open_for_member(self.request.user.member, timezone.now())

    def list(self, request, *args, **kwargs):
        member = request.user.member
        page = self.paginate_queryset(self.get_queryset())
        counts = selectors.member_claim_counts(member, [c.pk for c in page])
        batch_ids = [b.pk for c in page for b in c.batches.all()]
        applications = selectors.member_lottery_applications(member, batch_ids)
        facts = services.member_facts(member)
        for campaign in page:
            verdict = rules.coupon_eligibility(facts, services.campaign_eligibility_terms(campaign))
            campaign.eligible = verdict.eligible
            campaign.not_eligible_reason = str(verdict.reason)
            campaign.batch_rows = []
            for batch in campaign.batches.all():
                batch.campaign = campaign  # already loaded: no query per batch
                batch.eligible = verdict.eligible
                batch.claimed_by_me = counts.get((campaign.pk, batch.pk), 0)
                batch.applied = batch.pk in applications
                campaign.batch_rows.append(batch)
        return self.get_paginated_response(CampaignOutSerializer(page, many=True).data)

    @extend_schema(
        summary=_("Members: open campaigns with live remaining counts. Staff: the campaigns of their tree."),
        responses={200: CampaignOutSerializer(many=True), 401: ErrorSerializer, 403: ErrorSerializer}, tags=["coupons"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary=_("Staff: create a campaign in their tree."),
        request=CampaignInSerializer,
        responses={201: CampaignCreatedSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["coupons"],
    )
    def post(self, request):
        data = CampaignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organization = _organization_in_scope(request.user, values.pop("organization"))
        eligible_id = values.pop("eligible_organization")
        eligible = _organization_in_scope(request.user, eligible_id) if eligible_id is not None else None
        campaign = services.campaign_create(
            actor=request.user, organization=organization, eligible_organization=eligible, **values,
        )
        return Response(CampaignCreatedSerializer(campaign).data, status=status.HTTP_201_CREATED)


class ClaimedCouponSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    code_display = serializers.SerializerMethodField()
    pickup_code = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=CouponKind.choices, source="batch.kind")
    face_value = serializers.DecimalField(source="batch.face_value", **MONEY)
    status = serializers.ChoiceField(choices=Coupon.Status.choices)
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    def get_code_display(self, coupon) -> str:
        return rules.format_code(coupon.code)


class AppliedSerializer(serializers.Serializer):
    status = serializers.CharField(help_text=_("Always `applied`."))
    batch = serializers.IntegerField()


class CouponBatchClaimView(PreparedStatementsMixin, APIView):
    permission_classes = [IsMember]

    @extend_schema(
        summary=_("Claim one coupon of a batch (first come), or apply to its lottery."),
        request=None,
        responses={
            201: ClaimedCouponSerializer, 202: AppliedSerializer, 400: ErrorSerializer, 401: ErrorSerializer,
            403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer,
        },
        tags=["coupons"],
    )
    def post(self, request, pk):
        member = request.user.member
        services.coupon_claim_sold_out_check(member=member, batch_id=pk)  # the crowd after the last coupon
        batch = selectors.batch_for_member(pk, member)
        if batch is None:
            raise Http404
        result = services.coupon_claim(member=member, batch=batch, sold_out_flag_checked=True)
        if isinstance(result, LotteryApplication):
            return json_answer(request, {"status": "applied", "batch": batch.pk}, status.HTTP_202_ACCEPTED)
        result.batch = batch
        return json_answer(request, _CLAIMED.to_representation(result), status.HTTP_201_CREATED)


class MyCouponSerializer(ClaimedCouponSerializer):
    kind_label = serializers.CharField(source="batch.get_kind_display")
    status_label = serializers.CharField(source="get_status_display")
    campaign = serializers.CharField(source="batch.campaign.title")
    redeemed_at = serializers.DateTimeField(allow_null=True)
    redeemed_by = serializers.CharField(source="redeemed_by.name", allow_null=True, default=None)


# Serializers built once per process and only read while writing (threads may share them):
# building their fields per request cost more than the rest of a small answer.
_CLAIMED = ClaimedCouponSerializer()
_MONEY = serializers.DecimalField(**MONEY)


def my_coupon_row(values: dict, kind_labels: dict, status_labels: dict, zone) -> dict:
    """A coupon as MyCouponSerializer documents it, written from `selectors.MY_COUPON_COLUMNS`;
    its times in `zone` (the current time zone)."""
    redeemed_at = values["redeemed_at"]
    return {
        "id": values["id"], "code": values["code"], "code_display": rules.format_code(values["code"]),
        "pickup_code": values["pickup_code"], "kind": values["batch__kind"],
        "face_value": _MONEY.to_representation(values["batch__face_value"]), "status": values["status"],
        "issued_at": iso_datetime(values["issued_at"], zone),
        "expires_at": iso_datetime(values["expires_at"], zone),
        "kind_label": kind_labels[values["batch__kind"]], "status_label": status_labels[values["status"]],
        "campaign": values["batch__campaign__title"],
        "redeemed_at": None if redeemed_at is None else iso_datetime(redeemed_at, zone),
        "redeemed_by": values["redeemed_by__name"],
    }


class MyCouponsView(PreparedStatementsMixin, ListAPIView):
    permission_classes = [IsMember]
    serializer_class = MyCouponSerializer

    queryset = Coupon.objects.none()

    def _status(self) -> str | None:
        wanted = self.request.query_params.get("status")
        return wanted if wanted in Coupon.Status.values else None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Coupon.objects.none()
        coupons, wanted = selectors.coupons_of_member(self.request.user.member), self._status()
        return coupons.filter(status=wanted) if wanted else coupons

    def list(self, request, *args, **kwargs):
        member, wanted = request.user.member, self._status()
        page = self.paginator.paginate_queryset(
            # Built only for a later page or a full first one's count.
            lambda: self.get_queryset().values(*selectors.MY_COUPON_COLUMNS), request, view=self,
            first_rows=lambda limit: selectors.my_coupon_rows(member, wanted, limit),
        )
        kinds, statuses, zone = choice_labels(CouponKind), choice_labels(Coupon.Status), timezone.get_current_timezone()
        return self.get_paginated_response([my_coupon_row(values, kinds, statuses, zone) for values in page])

    @extend_schema(
        summary=_("The member's own coupons, newest first; `?status=issued` for the usable ones."),
        parameters=[OpenApiParameter("status", enum=Coupon.Status.values, required=False)],
        responses={200: MyCouponSerializer(many=True), 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["coupons"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- Partners ----------------------------------------------------------------------------------

class RedeemInSerializer(serializers.Serializer):
    code = serializers.CharField(label=_("coupon code"), max_length=64)


class RedeemedSerializer(serializers.Serializer):
    status = serializers.CharField(help_text=_("Always `redeemed`."))
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    face_value = serializers.DecimalField(**MONEY)
    redeemed_at = serializers.DateTimeField()


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 128}, OpenApiParameter.HEADER, required=True,
    description=_("A unique key per redemption attempt (e.g. a UUID). Repeating it replays the first answer."),
)
REPLAYED_HEADER = OpenApiParameter(
    "Idempotent-Replayed", location=OpenApiParameter.HEADER, enum=["true", "false"], response=True,
    description=_("On the answers about a code: `true` when this is the stored answer to an earlier attempt."),
)


class CouponRedeemView(PreparedStatementsMixin, APIView):
    permission_classes = [api_key_scope("coupons:redeem")]
    throttle_classes = [*APIView.throttle_classes, RedeemGuessThrottle]

    @extend_schema(
        summary=_("A merchant or vending machine redeems a coupon by its code or pickup code, once."),
        description=_(
            "`code` is the 17-character coupon code (dashes, spaces and case do not matter; the last "
            "character is a check character, so a typo answers 400 `invalid_code` without a lookup) or, "
            "for vending machines, the 8-digit pickup code. Send a new `Idempotency-Key` per attempt and "
            "the same one when retrying: a retry gets the first answer (header `Idempotent-Replayed: "
            "true`), the same key with another code answers 422. Wrong codes are counted per key: after "
            "a few in a minute the key gets 429 for the rest of that minute."
        ),
        request=RedeemInSerializer, parameters=[IDEMPOTENCY_HEADER, REPLAYED_HEADER],
        responses={
            200: RedeemedSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer,
            404: ErrorSerializer, 409: ErrorSerializer, 422: ErrorSerializer, 429: ErrorSerializer,
        },
        tags=["coupons"],
    )
    def post(self, request):
        merchant = request.auth.merchant
        if merchant is None or not merchant.is_active:
            raise PermissionDenied(_("This API key does not belong to an active merchant."), code="not_a_merchant")
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 128:
            raise DomainError(
                "idempotency_key_required", _("Send an Idempotency-Key header of 1 to 128 characters."),
                field="Idempotency-Key",
            )
        data = RedeemInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        redemption, replayed = services.coupon_redeem(merchant=merchant, code=data.validated_data["code"], idempotency_key=key)
        if not replayed and redemption.response_status in (400, 404):
            RedeemGuessThrottle().record_failure(request.auth.pk)
        response = json_answer(request, redemption.response_body, redemption.response_status)
        response["Idempotent-Replayed"] = "true" if replayed else "false"
        return response


# --- Staff -----------------------------------------------------------------------------------

class MerchantInSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("name"), max_length=128)
    organization = serializers.IntegerField(label=_("contracted by"), required=False, allow_null=True, default=None)
    accepted_kinds = serializers.ListField(
        label=_("accepted coupon kinds"), child=serializers.ChoiceField(choices=CouponKind.choices), min_length=1,
    )
    is_vending_machine = serializers.BooleanField(label=_("vending machine"), default=False)


class MerchantOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    organization = serializers.IntegerField(source="organization_id")
    accepted_kinds = serializers.ListField(child=serializers.ChoiceField(choices=CouponKind.choices))
    is_vending_machine = serializers.BooleanField()
    is_active = serializers.BooleanField()


class MerchantsView(ListAPIView):
    permission_classes = [IsStaffInTree, StaffMayWrite]
    serializer_class = MerchantOutSerializer

    queryset = Merchant.objects.none()

    def get_queryset(self):
        return selectors.merchants_visible_to(self.request.user).order_by("pk")

    @extend_schema(
        summary=_("Staff: the merchants of their tree."),
        responses={200: MerchantOutSerializer(many=True), 401: ErrorSerializer, 403: ErrorSerializer}, tags=["coupons"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary=_("Staff: add a merchant to their tree."),
        request=MerchantInSerializer,
        responses={201: MerchantOutSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["coupons"],
    )
    def post(self, request):
        data = MerchantInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organization = _organization_in_scope(request.user, values.pop("organization"))
        merchant = services.merchant_create(actor=request.user, organization=organization, **values)
        return Response(MerchantOutSerializer(merchant).data, status=status.HTTP_201_CREATED)


class BatchInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(label=_("coupon kind"), choices=CouponKind.choices)
    title = serializers.CharField(label=_("title"), max_length=128, required=False, allow_blank=True, default="")
    face_value = serializers.DecimalField(label=_("face value (CNY)"), min_value=Decimal("0.01"), **MONEY)
    quantity = serializers.IntegerField(label=_("quantity"), min_value=1, max_value=10_000_000)
    per_member_limit = serializers.IntegerField(label=_("coupons per member"), min_value=1, max_value=100, default=1)
    mode = serializers.ChoiceField(label=_("allocation"), choices=CouponBatch.Mode.choices, default="first_come")
    merchants = serializers.ListField(label=_("merchants"), child=serializers.IntegerField(), required=False, default=list)
    claim_starts_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    claim_ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    use_ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class BatchCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    kind = serializers.ChoiceField(choices=CouponKind.choices)
    face_value = serializers.DecimalField(**MONEY)
    quantity = serializers.IntegerField()
    per_member_limit = serializers.IntegerField()
    mode = serializers.ChoiceField(choices=CouponBatch.Mode.choices)
    merchants = serializers.SerializerMethodField()
    issues_pickup_codes = serializers.BooleanField()

    def get_merchants(self, batch) -> list[int]:
        return sorted(m.pk for m in batch.merchants.all())


class CampaignBatchesView(APIView):
    permission_classes = [IsStaffInTree, StaffMayWrite]

    @extend_schema(
        summary=_("Staff: add a batch to a campaign in their tree."),
        request=BatchInSerializer,
        responses={
            201: BatchCreatedSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer,
            404: ErrorSerializer,
        },
        tags=["coupons"],
    )
    def post(self, request, pk):
        campaign = get_object_or_404(selectors.campaigns_visible_to(request.user), pk=pk)
        data = BatchInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        wanted = set(values.pop("merchants"))
        merchants = list(selectors.merchants_usable_for(request.user, campaign).filter(pk__in=wanted))
        if len(merchants) != len(wanted):
            raise DomainError("unknown_merchant", _("One of the merchants does not exist or is not available."), field="merchants")
        batch = services.batch_create(actor=request.user, campaign=campaign, merchants=merchants, **values)
        return Response(BatchCreatedSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchStatsSerializer(serializers.Serializer):
    quantity = serializers.IntegerField()
    claimed = serializers.IntegerField()
    redeemed = serializers.IntegerField()
    expired = serializers.IntegerField()
    void = serializers.IntegerField()
    remaining = serializers.IntegerField()
    quantity_value = serializers.DecimalField(**MONEY)
    claimed_value = serializers.DecimalField(**MONEY)
    redeemed_value = serializers.DecimalField(**MONEY)
    expired_value = serializers.DecimalField(**MONEY)
    remaining_value = serializers.DecimalField(**MONEY)


class BatchStatsView(APIView):
    permission_classes = [IsStaffInTree]

    @extend_schema(
        summary=_("Staff: counts and values of one batch in their tree."),
        responses={200: BatchStatsSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}, tags=["coupons"])
    def get(self, request, pk):
        batch = get_object_or_404(selectors.batches_visible_to(request.user), pk=pk)
        return Response(BatchStatsSerializer(selectors.batch_stats(batch)).data)
