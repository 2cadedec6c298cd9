"""API routes of the members app, mounted under /api/v1/."""

from django.urls import path

from . import api

app_name = "members_api"
urlpatterns = [
    path("members/register/", api.RegisterView.as_view(), name="register"),
    path("members/consent/", api.ConsentView.as_view(), name="consent"),
    path("members/verify-card/", api.CardVerifyView.as_view(), name="verify-card"),
    path("members/", api.MemberListView.as_view(), name="member-list"),
    path("members/<int:pk>/", api.MemberDetailView.as_view(), name="member-detail"),
    path("members/<int:pk>/verify/", api.MemberVerifyView.as_view(), name="member-verify"),
    path("members/<int:pk>/reject/", api.MemberRejectView.as_view(), name="member-reject"),
    path("organizations/", api.OrganizationListView.as_view(), name="organization-list"),
    path("me/", api.MeView.as_view(), name="me"),
]
