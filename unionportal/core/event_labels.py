"""What the audit log's actions and the text messages' events are called on screen.

The code writes a machine name (`member_verified`, `convalescence.nomination.approve`), which
partners and exports keep; staff read the label. A name without a label shows as itself.
"""

from django.utils.translation import gettext_lazy as _

AUDIT_ACTIONS = {
    # Members and the union tree
    "member_registered": _("Member registered"),
    "member_imported": _("Member imported"),
    "member_verified": _("Membership verified"),
    "member_rejected": _("Membership application rejected"),
    "member_transferred": _("Member transferred"),
    "member_left": _("Member left the union"),
    "member_erased": _("Member's personal data erased"),
    "member_attributes_set": _("Member details changed"),
    "phone_changed": _("Mobile number changed"),
    "organization_created": _("Union created"),
    "organization_changed": _("Union changed"),
    "staff_assignment_saved": _("Staff assignment saved"),
    "staff_assignment_deleted": _("Staff assignment removed"),
    "member_export_requested": _("Member export requested"),
    "member_export_downloaded": _("Member export downloaded"),
    "member_bulk_requested": _("Bulk member action requested"),
    "member_bulk_stopped": _("Bulk member action stopped"),
    # Stations
    "station_added": _("Station added"),
    "station_changed": _("Station changed"),
    "station_imported": _("Stations imported"),
    "service_order_decided": _("Service order decided"),
    "health_readings_viewed": _("Health readings viewed"),
    "health_reading_followed_up": _("Health reading followed up"),
    # Welfare coupons
    "merchant_created": _("Merchant created"),
    "coupon_campaign_created": _("Coupon campaign created"),
    "coupon_batch_created": _("Coupon batch created"),
    "coupon_lottery_drawn": _("Coupon lottery drawn"),
    "coupon_voided": _("Coupon voided"),
    "coupon_redeemed": _("Coupon redeemed"),
    # Medical mutual aid
    "aid_plan.created": _("Mutual-aid plan created"),
    "aid_plan.changed": _("Mutual-aid plan changed"),
    "aid_enrolment.created": _("Mutual-aid enrolment created"),
    "aid_claim.submitted": _("Claim submitted"),
    "aid_claim.document_added": _("Claim document added"),
    "aid_claim.review_started": _("Claim review started"),
    "aid_claim.returned": _("Claim returned for more documents"),
    "aid_claim.resubmitted": _("Claim resubmitted"),
    "aid_claim.approved": _("Claim approved"),
    "aid_claim.rejected": _("Claim rejected"),
    "aid_claim.paid": _("Claim paid"),
    "aid_payment.created": _("Payment batch created"),
    "aid_payment.paid": _("Payment batch paid"),
    # Convalescence
    "convalescence.session.create": _("Trip created"),
    "convalescence.session.change": _("Trip changed"),
    "convalescence.session.quotas": _("Seat quotas set"),
    "convalescence.session.roster_close": _("Trip roster closed"),
    "convalescence.session.settle": _("Trip settled"),
    "convalescence.roster.export": _("Trip roster exported"),
    "convalescence.rate.create": _("Subsidy rate created"),
    "convalescence.rate.save": _("Subsidy rate saved"),
    "convalescence.nomination.create": _("Worker nominated"),
    "convalescence.nomination.approve": _("Nomination approved"),
    "convalescence.nomination.waiting_list": _("Nomination put on the waiting list"),
    "convalescence.nomination.waiting_list_promote": _("Nomination approved from the waiting list"),
    "convalescence.nomination.reject": _("Nomination rejected"),
    "convalescence.nomination.confirm": _("Place confirmed by the worker"),
    "convalescence.nomination.decline": _("Place declined by the worker"),
    "convalescence.nomination.lapse": _("Place lapsed unconfirmed"),
    "convalescence.nomination.check_in": _("Worker checked in"),
}

NOTIFICATION_EVENTS = {
    "member_registered": _("Membership application received"),
    "member_imported": _("Member imported"),
    "member_verified": _("Membership verified"),
    "member_rejected": _("Membership application rejected"),
    "member_transferred": _("Member transferred"),
    "member_left": _("Member left the union"),
    "member_attributes_set": _("Member details changed"),
    "phone_changed": _("Mobile number changed"),
    "service_order_decided": _("Service order decided"),
    "session_booked": _("Health service booked"),
    "session_reminder": _("Health service reminder"),
    "health_reading_flagged": _("Health reading flagged"),
    "aid_enrolled": _("Enrolled in mutual aid"),
    "aid_claim_submitted": _("Claim submitted"),
    "aid_claim_under_review": _("Claim under review"),
    "aid_claim_returned": _("Claim returned for more documents"),
    "aid_claim_resubmitted": _("Claim resubmitted"),
    "aid_claim_approved": _("Claim approved"),
    "aid_claim_rejected": _("Claim rejected"),
    "aid_claim_paid": _("Claim paid"),
    "convalescence.nominated": _("Nominated for a trip"),
    "convalescence.approved": _("Trip place approved"),
    "convalescence.waiting": _("On a trip's waiting list"),
    "convalescence.rejected": _("Trip nomination rejected"),
    "convalescence.confirmed": _("Trip place confirmed"),
    "convalescence.declined": _("Trip place declined"),
    "convalescence.lapsed": _("Trip place lapsed"),
    "convalescence.checked_in": _("Checked in for a trip"),
    "convalescence.no_show": _("Did not come to a trip"),
}


def label(labels: dict, name: str) -> str:
    """The label of a machine name, or the name itself when it has none."""
    return str(labels.get(name, name))
