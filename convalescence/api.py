"""The convalescence API: sessions for members and staff, nominations and their answers."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from members.models import Member
from members.scoping import scope_queryset
from unionportal.core.api import ErrorSerializer
from unionportal.core.pagination import StandardPagination
from unionportal.core.permissions import IsMember, IsStaffInTree
from unionportal.core.pii import mask_name

from . import rules, selectors, services
from .models import NominationStatus, Session

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class IsMemberOrStaff(BasePermission):
    def has_permission(self, request, view):
        return IsStaffInTree().has_permission(request, view) or IsMember().has_permission(request, view)


def _is_staff(request) -> bool:
    return IsStaffInTree().has_permission(request, None)


# --- Output ---------------------------------------------------------------------------------


class BaseLocationSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lng = serializers.FloatField()


class ConvalescenceBaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField(help_text=_("provincial, city or county"))
    level_display = serializers.CharField(source="get_level_display")
    address = serializers.CharField()
    themes = serializers.ListField(child=serializers.CharField())
    location = serializers.SerializerMethodField()

    def get_location(self, base) -> BaseLocationSerializer:
        return {"lat": round(base.location.y, 6), "lng": round(base.location.x, 6)}


class ConvalescenceProgramSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text=_("one_day, multi_day, team_building or model_workers_harbour"))
    kind_display = serializers.CharField(source="get_kind_display")
    days = serializers.IntegerField()
    itinerary = serializers.CharField()
    description = serializers.CharField()


class OrganisingUnionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ConvalescenceSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    base = ConvalescenceBaseSerializer(source="program.base")
    program = ConvalescenceProgramSerializer()
    organising_union = OrganisingUnionSerializer()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    days = serializers.IntegerField()
    seats = serializers.IntegerField()
    seats_left = serializers.IntegerField()
    nomination_opens_at = serializers.DateTimeField()
    nomination_closes_at = serializers.DateTimeField()
    confirmation_deadline = serializers.DateTimeField()


class OwnNominationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    respond_by = serializers.DateTimeField(allow_null=True)


class ConvalescenceSessionDetailSerializer(ConvalescenceSessionSerializer):
    confirmed = serializers.IntegerField(source="confirmed_count")
    approved = serializers.IntegerField(source="approved_count", help_text=_("Approved, not yet confirmed."))
    waiting = serializers.IntegerField(source="waiting_count")
    attended = serializers.IntegerField(source="attended_count")
    my_nomination = serializers.SerializerMethodField()

    def get_my_nomination(self, session) -> OwnNominationSerializer(allow_null=True):
        member = getattr(self.context["request"].user, "member", None)
        nomination = member and session.nominations.filter(member=member).first()
        return OwnNominationSerializer(nomination).data if nomination else None


class NominationPriorityReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    points = serializers.IntegerField()


class NominationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    session = serializers.IntegerField(source="session_id")
    session_starts_on = serializers.DateField(source="trip_starts_on")
    session_ends_on = serializers.DateField(source="trip_ends_on")
    base_name = serializers.CharField(source="session.program.base.name")
    program_name = serializers.CharField(source="session.program.name")
    member = serializers.IntegerField(source="member_id")
    member_name = serializers.SerializerMethodField(help_text=_("Masked."))
    status = serializers.CharField(help_text=format_lazy(_("One of: {}"), ", ".join(NominationStatus.values)))
    status_display = serializers.CharField(source="get_status_display")
    next_action = serializers.SerializerMethodField(help_text=_("confirm_or_decline, decline, wait or none"))
    priority_score = serializers.IntegerField()
    priority_reasons = serializers.SerializerMethodField()
    respond_by = serializers.DateTimeField(allow_null=True)
    nominated_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()

    def get_member_name(self, nomination) -> str:
        return mask_name(nomination.member.name)

    def get_next_action(self, nomination) -> str:
        return nomination_next_action(nomination)

    def get_priority_reasons(self, nomination) -> NominationPriorityReasonSerializer(many=True):
        return [{"code": code, "label": str(rules.PRIORITY_REASON_LABELS.get(code, code)), "points": points}
                for code, points in nomination.priority_reasons]


def nomination_next_action(nomination) -> str:
    """What the member should do next (the phone page shows the same)."""
    status_ = nomination.status
    if status_ == NominationStatus.APPROVED:
        return "confirm_or_decline"
    if status_ == NominationStatus.CONFIRMED:
        return "decline"  # still possible before the first day
    if status_ in (NominationStatus.NOMINATED, NominationStatus.WAITING):
        return "wait"
    return "none"


# --- Input ----------------------------------------------------------------------------------


class NominationCreateSerializer(serializers.Serializer):
    session = serializers.IntegerField(label=_("convalescence session"))
    member = serializers.IntegerField(label=_("member"))


class NominationRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("reason"), max_length=255)


class SessionCheckInSerializer(serializers.Serializer):
    card_number = serializers.CharField(label=_("card number"), max_length=32, required=False, allow_blank=True)
    card_token = serializers.CharField(label=_("card QR code"), max_length=256, required=False, allow_blank=True,
                                       help_text=_("The token read from the member's card QR code."))

    def validate(self, attrs):
        if not (attrs.get("card_number") or attrs.get("card_token")):
            raise serializers.ValidationError({"card_number": [_("Scan the card's QR code or type its number.")]})
        return attrs


# --- Views ----------------------------------------------------------------------------------


class SessionListView(APIView):
    permission_classes = [IsMemberOrStaff]
    pagination_class = StandardPagination  # documents the pages the answer comes in

    @extend_schema(
        summary=_("Members: upcoming sessions offered to their union. Staff: the sessions of their tree."),
        parameters=[
            OpenApiParameter("upcoming", OpenApiTypes.BOOL, description=_("Staff: only sessions not yet started.")),
        ],
        responses={200: ConvalescenceSessionSerializer(many=True), **ERRORS}, tags=["convalescence"],
    )
    def get(self, request):
        today = timezone.localdate()
        if _is_staff(request):
            queryset = selectors.sessions_visible_to(request.user).order_by("-starts_on", "pk")
            if request.query_params.get("upcoming") in ("1", "true"):
                queryset = queryset.filter(starts_on__gt=today).order_by("starts_on", "pk")
        else:
            queryset = selectors.sessions_upcoming_for_member(request.user.member, today)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ConvalescenceSessionSerializer(page, many=True).data)


class SessionDetailView(APIView):
    permission_classes = [IsMemberOrStaff]

    @extend_schema(
        summary=_("One session with seats, confirmed, approved and waiting; 404 when not offered to the caller."),
        responses={200: ConvalescenceSessionDetailSerializer, **ERRORS}, tags=["convalescence"])
    def get(self, request, pk: int):
        session = get_object_or_404(selectors.sessions_visible_to(request.user, with_counts=True), pk=pk)
        return Response(ConvalescenceSessionDetailSerializer(session, context={"request": request}).data)


class SessionCheckInView(APIView):
    permission_classes = [IsStaffInTree]

    @extend_schema(
        summary=_("Staff check a confirmed member in on the day by their card number (scanned from the QR code)."),
        request=SessionCheckInSerializer,
        responses={200: NominationSerializer, 409: ErrorSerializer, **ERRORS},
        tags=["convalescence"])
    def post(self, request, pk: int):
        session = get_object_or_404(scope_queryset(Session.objects.select_related("organising_union"), request.user), pk=pk)
        data = SessionCheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        nomination = services.nomination_check_in(actor=request.user, session=session,
                                                  card_number=data.validated_data.get("card_number", ""),
                                                  card_token=data.validated_data.get("card_token", ""))
        return Response(NominationSerializer(nomination).data)


class NominationListView(APIView):
    permission_classes = [IsMemberOrStaff]
    pagination_class = StandardPagination

    @extend_schema(
        summary=_("Members: their own nominations. Staff: the nominations of their tree."),
        parameters=[OpenApiParameter("session", {"type": "integer", "minimum": 1}),
                    OpenApiParameter("status", OpenApiTypes.STR, enum=NominationStatus.values)],
        responses={200: NominationSerializer(many=True), **ERRORS}, tags=["convalescence"],
    )
    def get(self, request):
        queryset = selectors.nominations_visible_to(request.user).order_by("-trip_starts_on", "-priority_score", "pk")
        session_id = request.query_params.get("session")
        if session_id:
            if not session_id.isdecimal():  # isdigit() also passes "²", which int() refuses
                return Response({"detail": str(_("Some of the data is not valid.")), "code": "invalid",
                                 "fields": {"session": [str(_("A valid integer is required."))]}}, status=400)
            queryset = queryset.filter(session_id=int(session_id))
        if request.query_params.get("status"):
            queryset = queryset.filter(status=request.query_params["status"])
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(NominationSerializer(page, many=True).data)

    @extend_schema(
        summary=_("Staff: nominate a member of their tree for a session."),
        request=NominationCreateSerializer,
        responses={201: NominationSerializer, 409: ErrorSerializer, **ERRORS}, tags=["convalescence"])
    def post(self, request):
        if not _is_staff(request):
            return Response({"detail": str(_("You may not do this.")), "code": "permission_denied"}, status=403)
        data = NominationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = scope_queryset(Member.objects.select_related("organization", "user"), request.user).filter(
            pk=data.validated_data["member"]).first()
        session = selectors.sessions_visible_to(request.user).filter(pk=data.validated_data["session"]).first()
        if member is None or session is None:
            field = "member" if member is None else "session"
            return Response({"detail": str(_("Not found.")), "code": "not_found",
                             "fields": {field: [str(_("Not found."))]}}, status=404)
        nomination = services.nomination_create(actor=request.user, session=session, member=member)
        return Response(NominationSerializer(nomination).data, status=status.HTTP_201_CREATED)


class NominationDetailView(APIView):
    permission_classes = [IsMemberOrStaff]

    @extend_schema(summary=_("One nomination: the member's own, or one of the staff member's tree."),
                   responses={200: NominationSerializer, **ERRORS}, tags=["convalescence"])
    def get(self, request, pk: int):
        return Response(NominationSerializer(get_object_or_404(selectors.nominations_visible_to(request.user), pk=pk)).data)


class _NominationActionView(APIView):
    """Base of the state changes: find the nomination among the caller's, call one service."""

    permission_classes = [IsMemberOrStaff]
    staff_only = False

    def nomination(self, request, pk):
        if self.staff_only and not _is_staff(request):
            return None
        queryset = selectors.nominations_visible_to(request.user)
        if not self.staff_only:
            queryset = queryset.filter(member__user=request.user)  # a member answers only for themself
        return get_object_or_404(queryset, pk=pk)

    def forbidden(self):
        return Response({"detail": str(_("You may not do this.")), "code": "permission_denied"}, status=403)


class NominationConfirmView(_NominationActionView):
    @extend_schema(
        summary=_("The member takes the approved place before the deadline."),
        request=None, responses={200: NominationSerializer, 409: ErrorSerializer, **ERRORS}, tags=["convalescence"])
    def post(self, request, pk: int):
        nomination = services.nomination_confirm(user=request.user, nomination=self.nomination(request, pk))
        return Response(NominationSerializer(nomination).data)


class NominationDeclineView(_NominationActionView):
    @extend_schema(
        summary=_("The member says no; the place goes to the waiting list."),
        request=None, responses={200: NominationSerializer, 409: ErrorSerializer, **ERRORS}, tags=["convalescence"])
    def post(self, request, pk: int):
        nomination = services.nomination_decline(user=request.user, nomination=self.nomination(request, pk))
        return Response(NominationSerializer(nomination).data)


class NominationApproveView(_NominationActionView):
    staff_only = True

    @extend_schema(
        summary=_("The organising union approves: a seat if one is free, else the waiting list."),
        request=None, responses={200: NominationSerializer, 409: ErrorSerializer, **ERRORS}, tags=["convalescence"])
    def post(self, request, pk: int):
        nomination = self.nomination(request, pk)
        if nomination is None:
            return self.forbidden()
        return Response(NominationSerializer(services.nomination_approve(actor=request.user, nomination=nomination)).data)


class NominationRejectView(_NominationActionView):
    staff_only = True

    @extend_schema(summary=_("The organising union rejects a nomination, with a reason."),
                   request=NominationRejectSerializer, responses={200: NominationSerializer, 409: ErrorSerializer, **ERRORS},
                   tags=["convalescence"])
    def post(self, request, pk: int):
        nomination = self.nomination(request, pk)
        if nomination is None:
            return self.forbidden()
        data = NominationRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        nomination = services.nomination_reject(actor=request.user, nomination=nomination,
                                                reason=data.validated_data["reason"])
        return Response(NominationSerializer(nomination).data)
