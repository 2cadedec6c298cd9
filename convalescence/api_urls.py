"""API routes of the convalescence app, mounted under /api/v1/."""

from django.urls import path

from . import api

app_name = "convalescence_api"
urlpatterns = [
    path("convalescence/sessions/", api.SessionListView.as_view(), name="session-list"),
    path("convalescence/sessions/<int:pk>/", api.SessionDetailView.as_view(), name="session-detail"),
    path("convalescence/sessions/<int:pk>/check-in/", api.SessionCheckInView.as_view(), name="session-check-in"),
    path("convalescence/nominations/", api.NominationListView.as_view(), name="nomination-list"),
    path("convalescence/nominations/<int:pk>/", api.NominationDetailView.as_view(), name="nomination-detail"),
    path("convalescence/nominations/<int:pk>/confirm/", api.NominationConfirmView.as_view(), name="nomination-confirm"),
    path("convalescence/nominations/<int:pk>/decline/", api.NominationDeclineView.as_view(), name="nomination-decline"),
    path("convalescence/nominations/<int:pk>/approve/", api.NominationApproveView.as_view(), name="nomination-approve"),
    path("convalescence/nominations/<int:pk>/reject/", api.NominationRejectView.as_view(), name="nomination-reject"),
]
