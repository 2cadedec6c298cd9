from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .lockout import LockedOut, authenticate_with_lockout
from .models import ApiKey
from .permissions import HasCredentials
from .services import api_token_issue
from .throttling import TokenRateThrottle


class ErrorSerializer(serializers.Serializer):
    """The shape of every error answer (its schema, with the nesting of `fields`, is
    schema.ERROR_SCHEMA)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(required=False)


class TokenRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(label=_("mobile number"), max_length=20)
    password = serializers.CharField(label=_("password"), max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        summary=_("Exchange a mobile number and password for an expiring bearer token."),
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: ErrorSerializer, 429: ErrorSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = authenticate_with_lockout(
                request._request, data.validated_data["phone"], data.validated_data["password"],
            )
        except LockedOut as locked:
            response = Response(
                {"detail": str(_("Too many failed attempts. Please try again later.")), "code": "locked_out"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
            response["Retry-After"] = str(locked.retry_after)
            return response
        if user is None:
            return Response(
                {"detail": str(_("The mobile number or password is wrong.")), "code": "invalid_credentials"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        raw, token = api_token_issue(user=user, lifetime=settings.API_TOKEN_LIFETIME)
        return Response(TokenSerializer({"token": raw, "expires_at": token.expires_at}).data)


class WhoAmISerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "partner"])
    is_staff = serializers.BooleanField(required=False)
    name = serializers.CharField(required=False)
    scopes = serializers.ListField(child=serializers.CharField(), required=False)


class WhoAmIView(APIView):
    permission_classes = [HasCredentials]

    @extend_schema(
        summary=_("Which credentials this request carries: a user's token or a partner key (and its scopes)."),
        responses={200: WhoAmISerializer, 401: ErrorSerializer}, tags=["auth"])
    def get(self, request):
        if isinstance(request.auth, ApiKey):
            return Response({"kind": "partner", "name": request.auth.name, "scopes": request.auth.scopes})
        return Response({"kind": "user", "is_staff": request.user.is_staff})
