"""Mobile pages of the benefits app."""

from django.urls import path

from . import aid_views, coupon_views

app_name = "benefits"
urlpatterns = [
    path("coupons/", coupon_views.coupons, name="coupons"),
    path("coupons/mine/", coupon_views.my_coupons, name="my-coupons"),
    path("coupons/batches/<int:pk>/claim/", coupon_views.coupon_claim, name="coupon-claim"),
    path("coupons/counter/", coupon_views.coupon_counter, name="coupon-counter"),
    path("aid/", aid_views.aid, name="aid"),
    path("aid/enrol/", aid_views.aid_enrol, name="aid-enrol"),
    path("aid/claims/new/", aid_views.aid_claim_new, name="aid-claim-new"),
    path("aid/claims/<int:pk>/", aid_views.aid_claim, name="aid-claim"),
    path("aid/claims/<int:pk>/documents/", aid_views.aid_claim_documents, name="aid-claim-documents"),
    path("aid/claims/<int:pk>/resubmit/", aid_views.aid_claim_resubmit, name="aid-claim-resubmit"),
]
