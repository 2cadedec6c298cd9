"""Mobile pages of the members app."""

from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("join/", views.join, name="join"),
    path("card/", views.card, name="card"),
    path("card/qr/", views.card_qr, name="card-qr"),
    path("my-data/", views.my_data, name="my-data"),
    path("my-data/download/", views.my_data_download, name="my-data-download"),
]
