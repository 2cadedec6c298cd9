"""Mobile pages of the convalescence app."""

from django.urls import path

from . import views

app_name = "convalescence"
urlpatterns = [
    path("convalescence/", views.sessions, name="sessions"),
    path("convalescence/sessions/<int:pk>/", views.session_detail, name="session"),
    path("convalescence/sessions/<int:pk>/roster/", views.session_roster, name="roster"),
    path("convalescence/nominations/<int:pk>/confirm/", views.nomination_confirm, name="nomination-confirm"),
    path("convalescence/nominations/<int:pk>/decline/", views.nomination_decline, name="nomination-decline"),
]
