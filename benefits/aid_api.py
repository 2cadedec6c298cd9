"""Mutual-aid API: plans and their terms, enrolment, claims with documents, review.

Every claim query starts from `aid_claims_visible_to(user)`: another member's claim, or a
claim outside a staff member's tree, answers 404.
"""

from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from members.admin_scoping import role_allows
from members.models import Organization
from members.scoping import scope_queryset, staff_assignment
from unionportal.core.api import ErrorSerializer
from unionportal.core.errors import DomainError
from unionportal.core.permissions import IsMember

from . import aid_rules
from .aid_documents import ALLOWED_TYPES, document_read
from . import aid_selectors as selectors
from . import aid_services as services
from .models import AidClaim, AidClaimKind, AidEnrolment, AidPlan

MONEY = dict(max_digits=12, decimal_places=2)
TAGS = ["mutual aid"]


# --- Serializers ----------------------------------------------------------------------------------

class SegmentSerializer(serializers.Serializer):
    up_to = serializers.DecimalField(**MONEY, allow_null=True, min_value=0,
                                     help_text=_("Upper end of the band in CNY; null for the last band."))
    rate = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0, max_value=1)


class AccidentTermsSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0, max_value=1)
    max_per_claim = serializers.DecimalField(**MONEY, min_value=0)


class MajorIllnessTermsSerializer(serializers.Serializer):
    threshold = serializers.DecimalField(**MONEY, min_value=0)
    segments = SegmentSerializer(many=True)
    max_per_year = serializers.DecimalField(**MONEY, min_value=0)


def _segments_out(data):
    return aid_rules.segments_to_data(aid_rules.segments_from_data(data))


def _segments_in(items):
    return [{"up_to": None if item["up_to"] is None else str(item["up_to"]), "rate": str(item["rate"])}
            for item in items]


@extend_schema_serializer(description=_("A plan with its terms in full: members have a right to know the rules."))
class AidPlanSerializer(serializers.ModelSerializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False,
        help_text=_("The city federation running the plan; defaults to the caller's own."))
    segments = SegmentSerializer(many=True)
    accident_terms = AccidentTermsSerializer(required=False, allow_null=True)
    major_illness_terms = MajorIllnessTermsSerializer(required=False, allow_null=True)

    class Meta:
        model = AidPlan
        fields = [
            "id", "organization", "year", "title", "description", "premium", "coverage_starts_on", "coverage_ends_on",
            "filing_deadline_days", "is_open_for_enrolment", "deductible_per_year", "segments", "minimum_payout",
            "yearly_cap", "allowance_per_day", "allowance_max", "accident_terms", "major_illness_terms",
        ]
        validators = []  # one plan per year: the service answers 409, the constraint backs it
        extra_kwargs = {name: {"min_value": 0} for name in (
            "premium", "deductible_per_year", "minimum_payout", "yearly_cap", "allowance_per_day", "allowance_max")}

    def to_representation(self, plan):
        data = super().to_representation(plan)
        data["segments"] = _segments_out(plan.segments)
        if plan.major_illness_terms:
            data["major_illness_terms"]["segments"] = _segments_out(plan.major_illness_terms["segments"])
        else:
            data["major_illness_terms"] = None
        if not plan.accident_terms:
            data["accident_terms"] = None
        return data

    def validate(self, attrs):
        attrs["segments"] = _segments_in(attrs["segments"])
        attrs["accident_terms"] = {k: str(v) for k, v in (attrs.get("accident_terms") or {}).items()}
        illness = attrs.get("major_illness_terms")
        attrs["major_illness_terms"] = {
            "threshold": str(illness["threshold"]), "segments": _segments_in(illness["segments"]),
            "max_per_year": str(illness["max_per_year"]),
        } if illness else {}
        errors = services.aid_plan_terms_errors(attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AidEnrolmentInSerializer(serializers.Serializer):
    plan = serializers.IntegerField(help_text=_("id of a plan from GET /api/v1/aid-plans/"))
    payment_reference = serializers.CharField(max_length=64, help_text=_("The premium payment's transaction number."))


class AidEnrolmentSerializer(serializers.ModelSerializer):
    plan_title = serializers.CharField(source="plan.title", read_only=True)

    class Meta:
        model = AidEnrolment
        fields = ["id", "plan", "plan_title", "paid_by", "payment_reference", "enrolled_at"]


class AidClaimInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AidClaimKind.choices, default=AidClaimKind.HOSPITALISATION)
    hospital = serializers.CharField(max_length=128)
    admitted_on = serializers.DateField()
    discharged_on = serializers.DateField()
    total_cost = serializers.DecimalField(**MONEY, min_value=0)
    insurance_paid = serializers.DecimalField(**MONEY, min_value=0)
    self_paid = serializers.DecimalField(**MONEY, min_value=0)
    invoice_numbers = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1,
                                            max_length=services.MAX_INVOICES)
    payee_bank = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                       help_text=_("Bank that receives the aid."))
    payee_account = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                          help_text=_("Account number (stored encrypted, shown masked)."))
    documents = serializers.ListField(child=serializers.FileField(), required=False, max_length=10,
                                      help_text=_("Scanned documents (multipart only): JPEG, PNG or PDF."))


class AidClaimEventSerializer(serializers.Serializer):
    status = serializers.CharField()
    status_label = serializers.SerializerMethodField()
    note = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")

    def get_status_label(self, event) -> str:
        return str(AidClaim.Status(event.status).label)


class AidClaimDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, document) -> str:
        return f"/api/v1/aid-claims/{document.claim_id}/documents/{document.pk}/"


class BreakdownStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=["deductible", "segment", "allowance", "accident", "threshold",
                                            "relief_max", "minimum", "cap", "total"])
    amount = serializers.CharField()
    base = serializers.CharField(required=False)
    rate = serializers.CharField(required=False)
    lower = serializers.CharField(required=False)
    upper = serializers.CharField(required=False)


class AidClaimSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    payee_account = serializers.CharField(source="masked_payee_account", read_only=True)
    invoice_numbers = serializers.SerializerMethodField()
    documents = AidClaimDocumentSerializer(many=True, read_only=True)
    events = AidClaimEventSerializer(many=True, read_only=True)
    breakdown = serializers.SerializerMethodField()
    breakdown_text = serializers.SerializerMethodField()

    class Meta:
        model = AidClaim
        fields = [
            "id", "plan", "kind", "hospital", "admitted_on", "discharged_on", "total_cost", "insurance_paid",
            "self_paid", "invoice_numbers", "payee_bank", "payee_account", "status", "status_label", "reason",
            "payout", "breakdown",
            "breakdown_text", "submitted_at", "decided_at", "documents", "events",
        ]

    def get_invoice_numbers(self, claim) -> list[str]:
        return [invoice.invoice_number for invoice in claim.invoices.all()]

    @extend_schema_field(BreakdownStepSerializer(many=True, allow_null=True))
    def get_breakdown(self, claim) -> list[dict] | None:
        return claim.breakdown

    def get_breakdown_text(self, claim) -> list[str] | None:
        return selectors.aid_breakdown_lines(claim.breakdown) if claim.breakdown else None


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, help_text=_("Shown to the member."))


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("JPEG, PNG or PDF, checked by content; at most 10 MB."))


# --- Views --------------------------------------------------------------------------------------

def _claims_with_details(user):
    return selectors.aid_claims_visible_to(user).prefetch_related("invoices", "documents", "events")


def _claim_or_404(user, pk) -> AidClaim:
    claim = _claims_with_details(user).filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


def _own_claim_or_404(user, pk) -> AidClaim:
    claim = AidClaim.objects.select_related("member__organization").filter(pk=pk, member__user=user).first()
    if claim is None:
        raise Http404
    return claim


def _require_city_staff(user) -> None:
    """Plans belong to a city federation, created by its staff (admin role) or a superuser."""
    assignment = staff_assignment(user)
    is_city = user.is_superuser or (assignment is not None and assignment.organization.kind == Organization.Kind.CITY)
    if not (user.is_staff and role_allows(user, "add") and is_city):
        raise DomainError("not_allowed", _("Only city federation staff may create plans."), status=403)


def _city_organization(user, organization) -> Organization:
    if organization is None:
        assignment = staff_assignment(user)
        organization = assignment.organization if assignment else None
    if organization is None or organization.kind != Organization.Kind.CITY:
        raise DomainError("not_allowed", _("Only city federation staff may create plans."), status=403)
    if not scope_queryset(Organization.objects.filter(pk=organization.pk), user).exists():
        raise DomainError("not_allowed", _("Only city federation staff may create plans."), status=403)
    return organization


class AidPlansView(ListAPIView):
    serializer_class = AidPlanSerializer

    def get_queryset(self):
        return selectors.aid_plans_listed(today=timezone.localdate())

    @extend_schema(tags=TAGS, responses={200: AidPlanSerializer(many=True), 401: ErrorSerializer},
                   summary=_("Plans open for enrolment or in force, with their terms in full"))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=TAGS, request=AidPlanSerializer,
                   responses={201: AidPlanSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                              409: ErrorSerializer},
                   summary=_("Create a yearly plan (city federation staff)"))
    def post(self, request):
        _require_city_staff(request.user)
        data = AidPlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        organization = _city_organization(request.user, fields.pop("organization", None))
        plan = services.aid_plan_create(actor=request.user, organization=organization, **fields)
        return Response(AidPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class AidEnrolmentsView(ListAPIView):
    permission_classes = [IsMember]
    serializer_class = AidEnrolmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AidEnrolment.objects.none()
        return selectors.aid_enrolments_of(self.request.user.member).order_by("-enrolled_at", "-pk")

    @extend_schema(tags=TAGS, responses={200: AidEnrolmentSerializer(many=True), 401: ErrorSerializer,
                                         403: ErrorSerializer}, summary=_("My enrolments"))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=TAGS, request=AidEnrolmentInSerializer,
                   responses={201: AidEnrolmentSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                              404: ErrorSerializer, 409: ErrorSerializer},
                   summary=_("Enrol in a plan with a payment reference"))
    def post(self, request):
        data = AidEnrolmentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = selectors.aid_plans_listed(today=timezone.localdate()).filter(pk=data.validated_data["plan"]).first()
        if plan is None:
            raise Http404
        enrolment = services.aid_enrolment_create(
            member=request.user.member, plan=plan, payment_reference=data.validated_data["payment_reference"],
            actor=request.user,
        )
        return Response(AidEnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)


class AidClaimsView(ListAPIView):
    serializer_class = AidClaimSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        claims = _claims_with_details(self.request.user)
        wanted = self.request.query_params.get("status")
        if wanted in AidClaim.Status.values:
            claims = claims.filter(status=wanted)
        return claims.order_by("-submitted_at", "-pk")

    @extend_schema(tags=TAGS, parameters=[OpenApiParameter("status", enum=AidClaim.Status.values)],
                   responses={200: AidClaimSerializer(many=True), 401: ErrorSerializer},
                   summary=_("Claims I may see"),
                   description=_("Members see their own claims; staff see the claims of their part of the tree."))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=TAGS, request={"application/json": AidClaimInSerializer,
                                       "multipart/form-data": AidClaimInSerializer},
                   responses={201: AidClaimSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
                   summary=_("File a claim (hospitalisation, accident or major illness)"))
    def post(self, request):
        if not IsMember().has_permission(request, self):
            raise DomainError("not_a_member", _("Only members can file claims."), status=403)
        data = AidClaimInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        uploads = fields.pop("documents", [])
        try:
            documents = [document_read(upload) for upload in uploads]
        except DomainError as error:
            raise DomainError(error.code, error.message, field="documents") from None
        claim = services.aid_claim_submit(member=request.user.member, today=timezone.localdate(),
                                          documents=documents, **fields)
        return Response(AidClaimSerializer(_claim_or_404(request.user, claim.pk)).data,
                        status=status.HTTP_201_CREATED)


class AidClaimDetailView(APIView):
    @extend_schema(tags=TAGS, responses={200: AidClaimSerializer, 401: ErrorSerializer, 404: ErrorSerializer},
                   summary=_("One claim with its timeline, and once approved its payout and breakdown"))
    def get(self, request, pk):
        return Response(AidClaimSerializer(_claim_or_404(request.user, pk)).data)


class AidClaimDocumentsView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=TAGS, request={"multipart/form-data": DocumentUploadSerializer},
                   responses={201: AidClaimDocumentSerializer, 400: ErrorSerializer, 404: ErrorSerializer,
                              409: ErrorSerializer},
                   summary=_("Upload a scanned document to my claim"))
    def post(self, request, pk):
        claim = _own_claim_or_404(request.user, pk)
        data = DocumentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        content, name = document_read(data.validated_data["file"])
        document = services.aid_claim_document_add(claim=claim, actor=request.user, data=content, filename=name)
        return Response(AidClaimDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class AidClaimDocumentFileView(APIView):
    @extend_schema(tags=TAGS, responses={**{(200, kind): OpenApiTypes.BINARY for kind in sorted(ALLOWED_TYPES)},
                                         401: ErrorSerializer, 404: ErrorSerializer},
                   summary=_("Download a claim document (the member and staff in scope only)"))
    def get(self, request, pk, document_id):
        document = selectors.aid_claim_document_visible_to(request.user, claim_id=pk, document_id=document_id)
        if document is None:
            raise Http404
        response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name,
                                content_type=document.content_type)
        response["Cache-Control"] = "private, no-store"
        return response


class AidClaimResubmitView(APIView):
    @extend_schema(tags=TAGS, request=None, responses={200: AidClaimSerializer, 404: ErrorSerializer,
                                                       409: ErrorSerializer},
                   summary=_("Send a returned claim back for review after adding documents"))
    def post(self, request, pk):
        claim = _own_claim_or_404(request.user, pk)
        services.aid_claim_resubmit(claim_id=claim.pk, member=claim.member)
        return Response(AidClaimSerializer(_claim_or_404(request.user, pk)).data)


def _review_response(request, pk, service, **kwargs):
    service(claim_id=pk, actor=request.user, **kwargs)
    return Response(AidClaimSerializer(_claim_or_404(request.user, pk)).data)


class AidClaimApproveView(APIView):
    @extend_schema(tags=TAGS, request=None,
                   responses={200: AidClaimSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
                              409: ErrorSerializer},
                   summary=_("Approve: fixes the payout and its breakdown (staff in scope)"))
    def post(self, request, pk):
        return _review_response(request, pk, services.aid_claim_approve)


class AidClaimRejectView(APIView):
    @extend_schema(tags=TAGS, request=ReasonSerializer,
                   responses={200: AidClaimSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                              404: ErrorSerializer, 409: ErrorSerializer},
                   summary=_("Reject with a reason (staff in scope)"))
    def post(self, request, pk):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _review_response(request, pk, services.aid_claim_reject, reason=data.validated_data["reason"])


class AidClaimReturnView(APIView):
    @extend_schema(tags=TAGS, request=ReasonSerializer,
                   responses={200: AidClaimSerializer, 400: ErrorSerializer, 403: ErrorSerializer,
                              404: ErrorSerializer, 409: ErrorSerializer},
                   summary=_("Return to the member for more documents, saying what is missing (staff in scope)"))
    def post(self, request, pk):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _review_response(request, pk, services.aid_claim_return, reason=data.validated_data["reason"])
