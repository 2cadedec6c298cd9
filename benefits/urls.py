"""Mobile pages of the benefits app."""

from django.urls import path

from . import coupon_views

app_name = "benefits"
urlpatterns = [
    path("coupons/", coupon_views.coupons, name="coupons"),
    path("coupons/mine/", coupon_views.my_coupons, name="my-coupons"),
    path("coupons/batches/<int:pk>/claim/", coupon_views.coupon_claim, name="coupon-claim"),
]
