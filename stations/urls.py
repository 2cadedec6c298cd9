"""Mobile pages of the stations app."""

from django.urls import path

from . import views

app_name = "stations"
urlpatterns = [
    path("stations/", views.station_map, name="map"),
    path("stations/<int:pk>/", views.station_detail, name="detail"),
    path("stations/<int:pk>/rate/", views.station_rate, name="rate"),
    path("stations/<int:pk>/check-in/", views.station_check_in, name="check-in"),
    path("stations/<int:pk>/poster/", views.station_poster, name="poster"),
    path("stations/my-health/", views.my_health_readings, name="my-health"),
    path("stations/sessions/<int:pk>/book/", views.session_book, name="session-book"),
    path("stations/bookings/<int:pk>/cancel/", views.booking_cancel, name="booking-cancel"),
]
