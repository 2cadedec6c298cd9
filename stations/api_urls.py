"""API routes of the stations app, mounted under /api/v1/."""

from django.urls import path

from . import api

app_name = "stations_api"
urlpatterns = [
    path("stations/", api.StationListView.as_view(), name="station-list"),
    path("stations/geojson/", api.StationGeoJsonView.as_view(), name="station-geojson"),
    path("stations/<int:pk>/", api.StationDetailView.as_view(), name="station-detail"),
    path("stations/<int:pk>/ratings/", api.StationRatingView.as_view(), name="station-rate"),
    path("stations/<int:pk>/check-in/", api.StationCheckInView.as_view(), name="station-check-in"),
    path("health-readings/", api.HealthReadingCreateView.as_view(), name="health-reading-create"),
    path("me/health-readings/", api.MyHealthReadingsView.as_view(), name="my-health-readings"),
    path("health-sessions/", api.SessionListView.as_view(), name="session-list"),
    path("health-sessions/<int:pk>/book/", api.SessionBookView.as_view(), name="session-book"),
    path("health-bookings/<int:pk>/cancel/", api.BookingCancelView.as_view(), name="booking-cancel"),
    path("me/health-bookings/", api.MyBookingsView.as_view(), name="my-bookings"),
]
