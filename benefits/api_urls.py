"""API routes of the benefits app, mounted under /api/v1/."""

from django.urls import path

from . import coupon_api

app_name = "benefits_api"
urlpatterns = [
    path("coupon-campaigns/", coupon_api.CouponCampaignsView.as_view(), name="coupon-campaigns"),
    path("coupon-campaigns/<int:pk>/batches/", coupon_api.CampaignBatchesView.as_view(), name="coupon-campaign-batches"),
    path("coupon-batches/<int:pk>/claim/", coupon_api.CouponBatchClaimView.as_view(), name="coupon-batch-claim"),
    path("coupon-batches/<int:pk>/stats/", coupon_api.BatchStatsView.as_view(), name="coupon-batch-stats"),
    path("me/coupons/", coupon_api.MyCouponsView.as_view(), name="my-coupons"),
    path("coupons/redeem/", coupon_api.CouponRedeemView.as_view(), name="coupon-redeem"),
    path("merchants/", coupon_api.MerchantsView.as_view(), name="merchants"),
]
