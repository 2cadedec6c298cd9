"""Members API: joining, the union picker, own profile, staff review, card checks."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from unionportal.core.answers import json_answer
from unionportal.core.api import ErrorSerializer
from unionportal.core.errors import DomainError
from unionportal.core.permissions import IsMember, IsStaffInTree, api_key_scope
from unionportal.core.pii import mask_name
from unionportal.core.representation import iso_datetime

from . import selectors, services
from .admin_scoping import role_allows
from .models import Member, Organization, WorkerCategory

# --- Serializers ------------------------------------------------------------------------


class RegisterSerializer(serializers.Serializer):
    name = serializers.CharField(label=_("real name"), max_length=64)
    id_number = serializers.CharField(label=_("resident ID number"), max_length=32)
    phone = serializers.CharField(label=_("mobile number"), max_length=20)
    password = serializers.CharField(label=_("password"), max_length=128, trim_whitespace=False, write_only=True)
    organization = serializers.IntegerField(label=_("grassroots union"), help_text=_("Id from GET /api/v1/organizations/."))
    worker_category = serializers.ChoiceField(label=_("worker category"), choices=WorkerCategory.choices)
    is_frontline = serializers.BooleanField(label=_("front-line worker"), default=False)
    is_technical = serializers.BooleanField(label=_("technical worker"), default=False)
    consent = serializers.BooleanField(
        label=_("consent"), help_text=_("Must be true: the separate consent to processing sensitive personal information."),
    )
    consent_version = serializers.CharField(
        label=_("consent version"), required=False, allow_blank=True, max_length=32,
        help_text=_("The version the applicant read (GET /api/v1/members/consent/); checked when given."),
    )

    def _domain(self, call, *args):
        try:
            return call(*args)
        except DomainError as error:
            raise serializers.ValidationError(str(error.message), code=error.code) from None

    def validate_id_number(self, value):
        return self._domain(services.id_number_validate, value, timezone.localdate())[0]

    def validate_phone(self, value):
        return self._domain(services.phone_validate, value)

    def validate_organization(self, value):
        return self._domain(services.grassroots_union_validate, value).pk

    def validate_consent(self, value):
        if value is not True:
            raise serializers.ValidationError(
                _("You must agree to the processing of your sensitive personal information to join."),
                code="consent_required",
            )
        return value


class RegisteredSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    card_number = serializers.CharField()


class OrganizationSerializer(serializers.ModelSerializer):
    path = serializers.ListField(
        source="ancestor_names", child=serializers.CharField(), read_only=True,
        help_text=_("Names of the ancestors, from the city federation down to the parent."),
    )

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "path"]


class OrganizationBriefSerializer(serializers.ModelSerializer):
    path = serializers.ListField(source="ancestor_names", child=serializers.CharField(), read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "path"]


@extend_schema_serializer(description=_("A member as staff see them: ID and phone always masked."))
class MemberSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    phone = serializers.CharField(source="user.masked_phone", read_only=True)
    organization = OrganizationBriefSerializer(read_only=True)
    applied_at = serializers.DateTimeField(source="joined_at", read_only=True)
    verified_by = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "id", "name", "id_number", "phone", "sex", "organization", "card_number", "status", "worker_category",
            "is_frontline", "is_technical", "model_worker_level", "has_hardship_file", "applied_at", "verified_at",
            "verified_by", "rejection_reason",
        ]

    def get_verified_by(self, member) -> str | None:
        return member.verified_by.name if member.verified_by else None


class MeSerializer(MemberSerializer):
    class Meta(MemberSerializer.Meta):
        fields = [name for name in MemberSerializer.Meta.fields if name != "verified_by"] + ["birth_date"]


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("reason"), max_length=255)


class CardTokenSerializer(serializers.Serializer):
    token = serializers.CharField(label=_("card token"), max_length=512)


class CardCheckSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    reason = serializers.CharField(help_text=_("'' when valid, else 'expired' or 'invalid'."))
    status = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True, help_text=_("Masked: 张*"))
    card_number = serializers.CharField(allow_null=True)
    organization = serializers.CharField(allow_null=True)


class ConsentVersionSerializer(serializers.Serializer):
    version = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    published_at = serializers.DateTimeField()


# --- Views --------------------------------------------------------------------------------


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("Apply to join the union (anyone). The application waits for the union's verification."),
        request=RegisterSerializer,
        responses={201: RegisteredSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
        auth=[], tags=["members"],
    )
    def post(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        member = services.member_register(services.Application(
            name=values["name"], id_number=values["id_number"], phone=values["phone"], password=values["password"],
            organization_id=values["organization"], worker_category=values["worker_category"],
            is_frontline=values["is_frontline"], is_technical=values["is_technical"], consent=values["consent"],
            consent_version=values.get("consent_version") or None,
        ))
        return Response(
            RegisteredSerializer({"id": member.pk, "status": member.status, "card_number": member.card_number}).data,
            status=status.HTTP_201_CREATED,
        )


class ConsentView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary=_("The current consent text an applicant must accept."),
        responses={200: ConsentVersionSerializer, 503: ErrorSerializer}, auth=[], tags=["members"])
    def get(self, request):
        return Response(ConsentVersionSerializer(services.consent_current()).data)


class OrganizationListView(generics.ListAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = OrganizationSerializer
    filter_backends = []

    @extend_schema(
        summary=_("Grassroots unions a worker can join; `q` matches the union's or any ancestor's name."),
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description=_("Words in the union's or an ancestor's name."))],
        responses={200: OrganizationSerializer(many=True)}, auth=[], tags=["members"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.organizations_for_joining(self.request.query_params.get("q", "")[:64])


def me_row(member: Member) -> dict:
    """The member's profile as MeSerializer documents it, written directly: the serializer's
    field-by-field walk cost more than the rest of the request."""
    organization, verified_at = member.organization, member.verified_at
    return {
        "id": member.pk, "name": member.name, "id_number": member.masked_id_number,
        "phone": member.user.masked_phone, "sex": member.sex,
        "organization": {"id": organization.pk, "name": organization.name, "path": list(organization.ancestor_names)},
        "card_number": member.card_number, "status": member.status, "worker_category": member.worker_category,
        "is_frontline": member.is_frontline, "is_technical": member.is_technical,
        "model_worker_level": member.model_worker_level, "has_hardship_file": member.has_hardship_file,
        "applied_at": iso_datetime(member.joined_at),
        "verified_at": None if verified_at is None else iso_datetime(verified_at),
        "rejection_reason": member.rejection_reason, "birth_date": member.birth_date.isoformat(),
    }


class MeView(APIView):
    permission_classes = [IsMember]

    @extend_schema(
        summary=_("The member's own profile; ID and phone masked."),
        responses={200: MeSerializer, 401: ErrorSerializer, 403: ErrorSerializer}, tags=["members"])
    def get(self, request):
        # Loaded with the bearer token (organisation included); a session login loads it here.
        return json_answer(request, me_row(request.user.member))


class CanReview(BasePermission):
    """Verify/reject need a role that may change (admin, reviewer)."""

    def has_permission(self, request, view):
        return role_allows(request.user, "change")


def _member_in_scope(request, pk) -> Member:
    member = selectors.members_visible_to(request.user).filter(pk=pk).first()
    if member is None:
        raise DomainError("not_found", _("Not found."), status=404)
    return member


class MemberListView(generics.ListAPIView):
    permission_classes = [IsStaffInTree]
    serializer_class = MemberSerializer
    filter_backends = []

    @extend_schema(
        summary=_("Members in the staff member's part of the tree (masked)."),
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=Member.Status.values),
            OpenApiParameter("organization", {"type": "integer", "minimum": 1},
                             description=_("Only this organisation and below.")),
            OpenApiParameter("q", OpenApiTypes.STR, description=_("Name (start), card number, full ID or phone number.")),
        ],
        responses={200: MemberSerializer(many=True), 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["members"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        status_value = params.get("status", "")
        if status_value and status_value not in Member.Status.values:
            raise DomainError("invalid_status", _("Unknown status."), field="status")
        organization = None
        if params.get("organization"):
            if not params["organization"].isdecimal():  # isdigit() also passes "²"
                raise DomainError("invalid_organization", _("Give the organisation's id."), field="organization")
            organization = selectors.organizations_visible_to(self.request.user).filter(
                pk=params["organization"]).first()
            if organization is None:
                return Member.objects.none()
        queryset = selectors.members_visible_to(
            self.request.user, status=status_value, organization=organization, query=params.get("q", "")[:64],
        )
        # The verification queue reads oldest first (status+joined_at index); everything else
        # newest first by primary key, which an index serves at any size.
        if status_value == Member.Status.PENDING:
            return queryset.order_by("joined_at", "pk")
        return queryset.order_by("-pk")


class MemberDetailView(APIView):
    permission_classes = [IsStaffInTree]

    @extend_schema(summary=_("One member of the staff member's part of the tree (masked)."),
                   responses={200: MemberSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
                   tags=["members"])
    def get(self, request, pk):
        return Response(MemberSerializer(_member_in_scope(request, pk)).data)


class MemberVerifyView(APIView):
    permission_classes = [IsStaffInTree, CanReview]

    @extend_schema(
        summary=_("Verify a pending application (admin or reviewer of the union or above)."),
        request=None,
        responses={200: MemberSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
                   409: ErrorSerializer},
        tags=["members"])
    def post(self, request, pk):
        member = services.member_verify(actor=request.user, member=_member_in_scope(request, pk))
        return Response(MemberSerializer(member).data)


class MemberRejectView(APIView):
    permission_classes = [IsStaffInTree, CanReview]

    @extend_schema(
        summary=_("Reject a pending application; the reason is shown to the applicant."),
        request=RejectSerializer,
        responses={200: MemberSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer,
                   404: ErrorSerializer, 409: ErrorSerializer},
        tags=["members"])
    def post(self, request, pk):
        member = _member_in_scope(request, pk)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.member_reject(actor=request.user, member=member, reason=data.validated_data["reason"])
        return Response(MemberSerializer(member).data)


class CardVerifyView(APIView):
    permission_classes = [api_key_scope("members:verify")]

    @extend_schema(
        summary=_("A partner checks a membership card's QR token (scope members:verify)."),
        request=CardTokenSerializer,
        responses={200: CardCheckSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["members"])
    def post(self, request):
        data = CardTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check = services.card_token_check(data.validated_data["token"])
        member = check.member
        return Response(CardCheckSerializer({
            "valid": check.valid, "reason": check.reason,
            "status": member.status if member else None,
            "name": mask_name(member.name) if member else None,
            "card_number": member.card_number if member else None,
            "organization": member.organization.name if member else None,
        }).data)
