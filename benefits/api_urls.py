"""API routes of the benefits app, mounted under /api/v1/."""

from django.urls import path

from . import aid_api, coupon_api

app_name = "benefits_api"
urlpatterns = [
    path("coupon-campaigns/", coupon_api.CouponCampaignsView.as_view(), name="coupon-campaigns"),
    path("coupon-campaigns/<int:pk>/batches/", coupon_api.CampaignBatchesView.as_view(), name="coupon-campaign-batches"),
    path("coupon-batches/<int:pk>/claim/", coupon_api.CouponBatchClaimView.as_view(), name="coupon-batch-claim"),
    path("coupon-batches/<int:pk>/stats/", coupon_api.BatchStatsView.as_view(), name="coupon-batch-stats"),
    path("me/coupons/", coupon_api.MyCouponsView.as_view(), name="my-coupons"),
    path("coupons/redeem/", coupon_api.CouponRedeemView.as_view(), name="coupon-redeem"),
    path("merchants/", coupon_api.MerchantsView.as_view(), name="merchants"),
    path("aid-plans/", aid_api.AidPlansView.as_view(), name="aid-plans"),
    path("aid-enrolments/", aid_api.AidEnrolmentsView.as_view(), name="aid-enrolments"),
    path("aid-claims/", aid_api.AidClaimsView.as_view(), name="aid-claims"),
    path("aid-claims/<int:pk>/", aid_api.AidClaimDetailView.as_view(), name="aid-claim"),
    path("aid-claims/<int:pk>/documents/", aid_api.AidClaimDocumentsView.as_view(), name="aid-claim-documents"),
    path("aid-claims/<int:pk>/documents/<int:document_id>/", aid_api.AidClaimDocumentFileView.as_view(),
         name="aid-claim-document"),
    path("aid-claims/<int:pk>/resubmit/", aid_api.AidClaimResubmitView.as_view(), name="aid-claim-resubmit"),
    path("aid-claims/<int:pk>/approve/", aid_api.AidClaimApproveView.as_view(), name="aid-claim-approve"),
    path("aid-claims/<int:pk>/reject/", aid_api.AidClaimRejectView.as_view(), name="aid-claim-reject"),
    path("aid-claims/<int:pk>/return/", aid_api.AidClaimReturnView.as_view(), name="aid-claim-return"),
]
