"""Coupon services against the real database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from benefits import coupon_rules as rules
from benefits import coupon_services as services
from benefits.coupon_selectors import batch_for_member
from benefits.models import Coupon, CouponBatch, CouponClaimCount, LotteryApplication, LotteryDraw, Redemption
from members.models import Member
from tests.factories import make_member, make_tree
from unionportal.core.errors import DomainError
from unionportal.core.models import AuditLog, Notification

from .builders import CLOSES, DURING, OPENS, VALID_UNTIL, make_batch, make_campaign, make_merchant

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


@pytest.fixture
def campaign(tree):
    return make_campaign(tree["city"])


def claim(member, batch, now=DURING):
    batch = CouponBatch.objects.select_related("campaign__organization").get(pk=batch.pk)
    return services.coupon_claim(member=member, batch=batch, now=now)


def error_of(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- campaigns and batches ------------------------------------------------------------------

def test_batches_may_not_exceed_the_budget(campaign):
    make_batch(campaign, face_value=Decimal("40.00"), quantity=5000)  # 200,000
    make_batch(campaign, face_value=Decimal("500.00"), quantity=300)  # 150,000: 350,000 so far
    error = error_of(lambda: make_batch(campaign, face_value=Decimal("50.00"), quantity=1001))  # 400,050
    assert error.code == "over_budget" and error.field == "quantity"
    assert campaign.batches.count() == 2
    make_batch(campaign, face_value=Decimal("50.00"), quantity=1000)  # exactly 400,000
    assert campaign.batches.count() == 3


def test_a_merchant_listed_on_a_batch_must_accept_its_kind(tree, campaign):
    pool = make_merchant(tree["city"], name="游泳馆", accepted_kinds=["swimming"])
    error = error_of(lambda: make_batch(campaign, kind="movie", merchants=[pool]))
    assert error.code == "kind_not_accepted" and error.field == "merchants"
    assert not CouponBatch.objects.exists()


def test_a_vending_machine_makes_the_batch_issue_pickup_codes(tree, campaign):
    machine = make_merchant(tree["city"], name="清凉售货机", accepted_kinds=["cooling_drink"], is_vending_machine=True)
    batch = make_batch(campaign, kind="cooling_drink", face_value=Decimal("5.00"), merchants=[machine])
    assert batch.issues_pickup_codes
    coupon = claim(make_member(tree["enterprise_a"]), batch)
    assert rules.is_pickup_code(coupon.pickup_code)


def test_campaign_windows_are_checked(tree):
    error = error_of(lambda: make_campaign(tree["city"], claim_ends_at=OPENS))
    assert error.field == "claim_ends_at"
    error = error_of(lambda: make_campaign(tree["city"], use_ends_at=CLOSES - timedelta(seconds=1)))
    assert error.field == "use_ends_at"


# --- claiming -----------------------------------------------------------------------------------

def test_claim_issues_a_coupon_with_a_checked_code(tree, campaign):
    batch = make_batch(campaign)
    member = make_member(tree["enterprise_a"])
    coupon = claim(member, batch)
    assert coupon.member == member and coupon.status == Coupon.Status.ISSUED
    assert rules.code_is_well_formed(coupon.code)
    assert coupon.expires_at == VALID_UNTIL and coupon.pickup_code == ""
    batch.refresh_from_db()
    assert batch.claimed == 1


def test_second_claim_is_already_claimed(tree, campaign):
    batch = make_batch(campaign)
    member = make_member(tree["enterprise_a"])
    claim(member, batch)
    assert error_of(lambda: claim(member, batch)).code == "already_claimed"
    assert Coupon.objects.count() == 1


def test_campaign_limit_counts_across_batches(tree, campaign):
    movie = make_batch(campaign, kind="movie")
    meal = make_batch(campaign, kind="meal")
    member = make_member(tree["enterprise_a"])
    claim(member, movie)
    error = error_of(lambda: claim(member, meal))
    assert error.code == "already_claimed" and error.status == 409
    meal.refresh_from_db()
    assert meal.claimed == 0


def test_batch_limit_of_two_within_a_campaign_limit_of_three(tree):
    campaign = make_campaign(tree["city"], per_member_limit=3)
    drinks = make_batch(campaign, kind="cooling_drink", face_value=Decimal("5.00"), per_member_limit=2)
    movie = make_batch(campaign, kind="movie")
    member = make_member(tree["enterprise_a"])
    claim(member, drinks)
    claim(member, drinks)
    assert error_of(lambda: claim(member, drinks)).code == "already_claimed"
    claim(member, movie)
    assert Coupon.objects.filter(member=member).count() == 3


def test_sold_out(tree, campaign):
    batch = make_batch(campaign, quantity=2)
    claim(make_member(tree["enterprise_a"]), batch)
    claim(make_member(tree["enterprise_a"]), batch)
    late = make_member(tree["enterprise_b"])
    error = error_of(lambda: claim(late, batch))
    assert (error.code, error.status) == ("sold_out", 409)
    # The late member's counters were rolled back with the failed claim.
    assert not CouponClaimCount.objects.filter(member=late).exists()


@pytest.mark.parametrize(
    ("now", "code"),
    [(OPENS - timedelta(seconds=1), "not_open"), (OPENS, None), (CLOSES - timedelta(seconds=1), None), (CLOSES, "not_open")],
)
def test_claim_window_edges(tree, campaign, now, code):
    batch = make_batch(campaign)
    member = make_member(tree["enterprise_a"])
    if code is None:
        assert claim(member, batch, now=now).pk
    else:
        error = error_of(lambda: claim(member, batch, now=now))
        assert (error.code, error.status) == (code, 400)


@pytest.mark.parametrize(
    ("member_fields", "campaign_fields"),
    [
        ({"status": Member.Status.PENDING}, {}),
        ({"worker_category": "employee"}, {"worker_categories": ["courier"]}),
        ({"is_frontline": False}, {"frontline_only": True}),
    ],
)
def test_ineligible_members_get_not_eligible(tree, member_fields, campaign_fields):
    campaign = make_campaign(tree["city"], **campaign_fields)
    batch = make_batch(campaign)
    member = make_member(tree["enterprise_a"])
    Member.objects.filter(pk=member.pk).update(**member_fields)
    member.refresh_from_db()
    error = error_of(lambda: claim(member, batch))
    assert (error.code, error.status) == ("not_eligible", 403)
    assert str(error.message)
    assert not Coupon.objects.exists()


def test_eligible_part_of_the_tree(tree):
    campaign = make_campaign(tree["city"], eligible_organization=tree["district_a"])
    batch = make_batch(campaign)
    claim(make_member(tree["enterprise_a"]), batch)
    assert error_of(lambda: claim(make_member(tree["enterprise_b"]), batch)).code == "not_eligible"


def test_the_database_refuses_an_oversold_batch_and_a_member_over_the_limit(tree, campaign):
    batch = make_batch(campaign, quantity=1)
    member = make_member(tree["enterprise_a"])
    claim(member, batch)
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponBatch.objects.filter(pk=batch.pk).update(claimed=F("claimed") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CouponClaimCount.objects.filter(member=member).update(claimed=F("claimed") + 1)


# --- lottery -------------------------------------------------------------------------------------

def test_lottery_apply_is_idempotent_and_draw_is_reproducible(tree):
    campaign = make_campaign(tree["city"])
    batch = make_batch(campaign, kind="convalescence", face_value=Decimal("500.00"), quantity=3, mode="lottery")
    members = [make_member(tree["enterprise_a"]) for _ in range(8)]
    for member in members:
        assert claim(member, batch).status == LotteryApplication.Status.APPLIED
    claim(members[0], batch)  # applying again changes nothing
    assert LotteryApplication.objects.filter(batch=batch).count() == 8
    assert not Coupon.objects.exists()

    with pytest.raises(DomainError):
        services.lottery_draw(batch_id=batch.pk, now=DURING)  # still open

    draw = services.lottery_draw(batch_id=batch.pk, now=CLOSES, seed="audit-seed-1")
    assert (draw.seed, draw.applicants, draw.winners) == ("audit-seed-1", 8, 3)
    won = LotteryApplication.objects.filter(batch=batch, status="won")
    assert won.count() == 3 and Coupon.objects.filter(batch=batch).count() == 3
    assert set(won.values_list("member", flat=True)) == set(Coupon.objects.values_list("member", flat=True))
    # Re-running the rule with the recorded seed names the same winners.
    ids = list(LotteryApplication.objects.filter(batch=batch).values_list("pk", flat=True))
    expected = set(rules.lottery_order(ids, draw.seed)[:3])
    assert set(won.values_list("pk", flat=True)) == expected
    # Everyone hears the outcome.
    assert Notification.objects.filter(event="coupon_lottery_won").count() == 3
    assert Notification.objects.filter(event="coupon_lottery_lost").count() == 5
    # Drawing again changes nothing.
    again = services.lottery_draw(batch_id=batch.pk, now=CLOSES + timedelta(hours=1))
    assert again.pk == draw.pk and Coupon.objects.count() == 3 and Notification.objects.count() == 8
    batch.refresh_from_db()
    assert batch.claimed == 3
    assert AuditLog.objects.filter(action="coupon_lottery_drawn").count() == 1


def test_lottery_skips_a_winner_who_reached_the_campaign_limit(tree):
    campaign = make_campaign(tree["city"])
    lottery = make_batch(campaign, kind="convalescence", face_value=Decimal("500.00"), quantity=2, mode="lottery")
    movie = make_batch(campaign, kind="movie")
    members = [make_member(tree["enterprise_a"]) for _ in range(3)]
    for member in members:
        claim(member, lottery)
    claim(members[0], movie)  # members[0] now holds the campaign's one coupon
    services.lottery_draw(batch_id=lottery.pk, now=CLOSES, seed="s")
    winners = set(Coupon.objects.filter(batch=lottery).values_list("member", flat=True))
    assert winners == {members[1].pk, members[2].pk}


def test_lotteries_due_lists_only_closed_undrawn_batches(tree):
    campaign = make_campaign(tree["city"])
    batch = make_batch(campaign, mode="lottery")
    make_batch(campaign, kind="meal")  # first come: never drawn
    assert services.lotteries_due(DURING) == []
    assert services.lotteries_due(CLOSES) == [batch.pk]
    services.lottery_draw(batch_id=batch.pk, now=CLOSES)
    assert services.lotteries_due(CLOSES) == []
    assert LotteryDraw.objects.get(batch=batch).applicants == 0


# --- redemption ----------------------------------------------------------------------------------

@pytest.fixture
def cinema(tree):
    return make_merchant(tree["city"])


def test_redeem_once_and_replay(tree, campaign, cinema):
    coupon = claim(make_member(tree["enterprise_a"]), make_batch(campaign))
    now = DURING + timedelta(days=1)
    redemption, replayed = services.coupon_redeem(merchant=cinema, code=rules.format_code(coupon.code).lower(), idempotency_key="k1", now=now)
    assert (redemption.response_status, replayed) == (200, False)
    assert redemption.response_body["face_value"] == "50.00"
    assert redemption.response_body["redeemed_at"].endswith("+08:00")
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.REDEEMED and coupon.redeemed_by == cinema
    again, replayed = services.coupon_redeem(merchant=cinema, code=coupon.code, idempotency_key="k1", now=now + timedelta(minutes=1))
    assert (again.pk, again.response_status, replayed) == (redemption.pk, 200, True)
    fresh, replayed = services.coupon_redeem(merchant=cinema, code=coupon.code, idempotency_key="k2", now=now)
    assert (fresh.response_status, fresh.response_body["code"], replayed) == (409, "already_redeemed", False)
    error = error_of(lambda: services.coupon_redeem(merchant=cinema, code=rules.new_coupon_code(), idempotency_key="k1"))
    assert (error.code, error.status) == ("idempotency_key_reused", 422)


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("unknown", 404, "unknown_code"),
        ("typo", 400, "invalid_code"),
        ("expired_by_time", 409, "expired"),
        ("expired_status", 409, "expired"),
        ("void", 409, "void"),
        ("wrong_kind", 403, "kind_not_accepted"),
        ("not_listed", 403, "kind_not_accepted"),
    ],
)
def test_redeem_refusals(tree, campaign, cinema, setup, status, code):
    batch = make_batch(campaign)
    coupon = claim(make_member(tree["enterprise_a"]), batch)
    merchant, typed, now = cinema, coupon.code, DURING
    if setup == "unknown":
        typed = rules.new_coupon_code()
    elif setup == "typo":
        typed = coupon.code[:-1] + ("0" if coupon.code[-1] != "0" else "1")
    elif setup == "expired_by_time":
        now = VALID_UNTIL
    elif setup == "expired_status":
        services.coupons_expire(now=VALID_UNTIL)
    elif setup == "void":
        services.coupon_void(actor=None, coupon=coupon, reason="领取有误")
    elif setup == "wrong_kind":
        merchant = make_merchant(tree["city"], name="游泳馆", accepted_kinds=["swimming"])
    elif setup == "not_listed":
        other = make_merchant(tree["city"], name="另一家影城")
        batch.merchants.set([other])
    redemption, _replayed = services.coupon_redeem(merchant=merchant, code=typed, idempotency_key="x", now=now)
    assert (redemption.response_status, redemption.response_body["code"]) == (status, code)
    coupon.refresh_from_db()
    assert coupon.status != Coupon.Status.REDEEMED


def test_pickup_codes_are_single_use_and_only_for_vending_machines(tree, campaign, cinema):
    machine = make_merchant(tree["city"], name="清凉售货机", accepted_kinds=["cooling_drink"], is_vending_machine=True)
    batch = make_batch(campaign, kind="cooling_drink", face_value=Decimal("5.00"), merchants=[machine])
    coupon = claim(make_member(tree["enterprise_a"]), batch)
    first, _ = services.coupon_redeem(merchant=machine, code=coupon.pickup_code, idempotency_key="a", now=DURING)
    assert first.response_status == 200
    second, _ = services.coupon_redeem(merchant=machine, code=coupon.pickup_code, idempotency_key="b", now=DURING)
    assert (second.response_status, second.response_body["code"]) == (409, "already_redeemed")
    cinema.accepted_kinds = ["cooling_drink"]
    cinema.save()
    by_counter, _ = services.coupon_redeem(merchant=cinema, code=coupon.pickup_code, idempotency_key="c", now=DURING)
    assert by_counter.response_status == 404


def test_live_pickup_codes_are_unique_in_the_database(tree, campaign):
    machine = make_merchant(tree["city"], name="售货机", accepted_kinds=["cooling_drink"], is_vending_machine=True)
    batch = make_batch(campaign, kind="cooling_drink", face_value=Decimal("5.00"), merchants=[machine], quantity=5)
    first = claim(make_member(tree["enterprise_a"]), batch)
    second = claim(make_member(tree["enterprise_a"]), batch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.filter(pk=second.pk).update(pickup_code=first.pickup_code)
    # Once the first is used, its pickup code may come round again.
    services.coupon_redeem(merchant=machine, code=first.pickup_code, idempotency_key="a", now=DURING)
    Coupon.objects.filter(pk=second.pk).update(pickup_code=first.pickup_code)


# --- expiry and voiding ------------------------------------------------------------------------

def test_expiry_marks_only_unused_coupons_past_their_date(tree, campaign, cinema):
    batch = make_batch(campaign)
    used = claim(make_member(tree["enterprise_a"]), batch)
    unused = claim(make_member(tree["enterprise_a"]), batch)
    services.coupon_redeem(merchant=cinema, code=used.code, idempotency_key="k", now=DURING)
    assert services.coupons_expire(now=VALID_UNTIL - timedelta(seconds=1)) == 0
    assert services.coupons_expire(now=VALID_UNTIL) == 1
    assert services.coupons_expire(now=VALID_UNTIL) == 0
    used.refresh_from_db()
    unused.refresh_from_db()
    assert (used.status, unused.status) == ("redeemed", "expired")


def test_a_whole_selection_is_voided_at_once_each_coupon_audited(tree, campaign):
    batch = make_batch(campaign)
    unused = [claim(make_member(tree["enterprise_a"]), batch) for _ in range(3)]
    used = claim(make_member(tree["enterprise_a"]), batch)
    services.coupon_redeem(merchant=make_merchant(tree["city"]), code=used.code, idempotency_key="k", now=DURING)
    other_batch = claim(make_member(tree["enterprise_a"]), make_batch(campaign))
    assert error_of(lambda: services.coupons_void(actor=None, coupons=Coupon.objects.all(), reason=" ")).code == \
        "reason_required"
    assert error_of(lambda: services.coupons_void(actor=None, coupons=Coupon.objects.all(), reason="长" * 256)
                    ).field == "reason"
    assert services.coupons_void(actor=None, coupons=Coupon.objects.filter(batch=batch), reason="商家退出") == 3
    assert set(Coupon.objects.filter(batch=batch).values_list("status", flat=True)) == {"void", "redeemed"}
    assert Coupon.objects.get(pk=other_batch.pk).status == "issued"
    rows = AuditLog.objects.filter(action="coupon_voided")
    assert sorted(rows.values_list("object_id", flat=True)) == sorted(str(coupon.pk) for coupon in unused)
    assert {(row.organization_path, row.changes["reason"]) for row in rows} == {(tree["city"].path, "商家退出")}
    assert services.coupons_void(actor=None, coupons=Coupon.objects.filter(batch=batch), reason="again") == 0
    assert services.coupons_void(actor=None, coupons=Coupon.objects.filter(pk__in=set()), reason="x") == 0  # no match


def test_void_needs_a_reason_and_is_audited(tree, campaign):
    coupon = claim(make_member(tree["enterprise_a"]), make_batch(campaign))
    assert error_of(lambda: services.coupon_void(actor=None, coupon=coupon, reason=" ")).code == "reason_required"
    services.coupon_void(actor=None, coupon=coupon, reason="重复领取")
    coupon.refresh_from_db()
    assert (coupon.status, coupon.void_reason) == ("void", "重复领取")
    assert AuditLog.objects.get(action="coupon_voided").changes["reason"] == "重复领取"
    assert error_of(lambda: services.coupon_void(actor=None, coupon=coupon, reason="again")).code == "not_voidable"
    assert Redemption.objects.count() == 0


# --- the beat jobs ------------------------------------------------------------------------------

def test_beat_jobs_draw_closed_lotteries_and_expire_coupons(tree):
    from django.conf import settings
    from django.utils import timezone

    from benefits.coupon_tasks import coupon_lotteries_draw_due, coupon_lottery_draw, coupons_expire_due

    now = timezone.now()
    past = make_campaign(
        tree["city"], claim_starts_at=now - timedelta(days=10), claim_ends_at=now - timedelta(days=1),
        use_ends_at=now - timedelta(minutes=1),
    )
    lottery = make_batch(past, kind="convalescence", face_value=Decimal("500.00"), quantity=1, mode="lottery")
    movie = make_batch(past, kind="movie")
    claim(make_member(tree["enterprise_a"]), movie, now=now - timedelta(days=5))
    for _ in range(3):
        claim(make_member(tree["enterprise_a"]), lottery, now=now - timedelta(days=5))

    assert coupon_lotteries_draw_due() == 1
    assert coupon_lotteries_draw_due() == 0
    assert LotteryDraw.objects.get(batch=lottery).winners == 1
    assert coupon_lottery_draw(lottery.pk) == "1/3"  # re-running returns the recorded draw
    assert coupons_expire_due() == 2  # the movie coupon and the lottery prize, both past their date
    assert coupons_expire_due() == 0
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"benefits.coupon_tasks.coupon_lotteries_draw_due", "benefits.coupon_tasks.coupons_expire_due"} <= scheduled
    assert coupon_lotteries_draw_due.name == "benefits.coupon_tasks.coupon_lotteries_draw_due"


def test_the_compiled_batch_lookup_sees_what_the_members_tree_may_see(django_assert_num_queries):
    tree = make_tree()
    member = make_member(tree["enterprise_a"])
    own = make_batch(make_campaign(tree["enterprise_a"], title="本企业"))
    above = make_batch(make_campaign(tree["city"], title="市总"))
    other_district = make_batch(make_campaign(tree["district_b"], title="乙区"))
    for batch in (own, above):
        with django_assert_num_queries(1):  # the batch, its campaign and both unions at once
            found = batch_for_member(batch.pk, member)
            assert found.campaign.organization.path and found.campaign.title
        assert (found.pk, found.quantity, found.campaign_id) == (batch.pk, batch.quantity, batch.campaign_id)
    assert batch_for_member(other_district.pk, member) is None
    assert batch_for_member(2**63, member) is None and batch_for_member(0, member) is None
