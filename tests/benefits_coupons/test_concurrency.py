"""The rush and the retry storm, with real threads against the real database and Redis."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from benefits.models import Coupon, CouponBatch, CouponClaimCount, Redemption
from tests.factories import make_member, make_tree, make_user
from unionportal.core.services import api_key_issue

from .builders import DURING, make_batch, make_campaign, make_merchant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

WORKERS = 40  # threads at once; each holds one database connection


def run_in_threads(calls):
    def run(call):
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def during_the_window():
    with mock.patch("benefits.coupon_services.timezone.now", return_value=DURING):
        yield


def claim_call(user, batch_id):
    def call():
        client = APIClient()
        client.force_authenticate(user)
        return client.post(f"/api/v1/coupon-batches/{batch_id}/claim/").status_code
    return call


def test_rush_of_300_members_pressing_twice_at_40_coupons(during_the_window):
    tree = make_tree()
    batch = make_batch(make_campaign(tree["city"]), quantity=40)
    # No passwords: hashing 300 of them would only slow the test down.
    members = [
        make_member(tree["enterprise_a"] if i % 2 else tree["enterprise_b"], user=make_user(password=None, name="会员"))
        for i in range(300)
    ]
    calls = [claim_call(m.user, batch.pk) for m in members for _press in range(2)]

    statuses = Counter(run_in_threads(calls))

    assert statuses[201] == 40
    assert set(statuses) <= {201, 409}, statuses  # no 5xx, no 4xx other than sold out / already claimed
    assert Coupon.objects.filter(batch=batch).count() == 40
    assert Coupon.objects.filter(batch=batch).values("member").distinct().count() == 40
    batch.refresh_from_db()
    assert batch.claimed == 40
    assert CouponClaimCount.objects.filter(batch=None, claimed__gt=1).count() == 0
    assert len(set(Coupon.objects.values_list("code", flat=True))) == 40


def test_one_member_hammering_a_batch_gets_exactly_the_limit(during_the_window):
    tree = make_tree()
    campaign = make_campaign(tree["city"], per_member_limit=3)
    drinks = make_batch(campaign, kind="cooling_drink", face_value=Decimal("5.00"), quantity=50, per_member_limit=2)
    movie = make_batch(campaign, kind="movie", quantity=50, per_member_limit=2)
    member = make_member(tree["enterprise_a"])

    statuses = Counter(run_in_threads([claim_call(member.user, b.pk) for _ in range(30) for b in (drinks, movie)]))

    assert statuses[201] == 3 and set(statuses) <= {201, 409}, statuses
    assert Coupon.objects.filter(member=member).count() == 3
    per_batch = Counter(Coupon.objects.filter(member=member).values_list("batch_id", flat=True))
    assert max(per_batch.values()) <= 2
    assert sum(CouponBatch.objects.values_list("claimed", flat=True)) == 3


def redeem_call(raw_key, code, idempotency_key):
    def call():
        client = APIClient()
        response = client.post(
            "/api/v1/coupons/redeem/", {"code": code}, format="json",
            HTTP_AUTHORIZATION=f"Api-Key {raw_key}", HTTP_IDEMPOTENCY_KEY=idempotency_key,
        )
        return response.status_code, response.json()
    return call


def test_50_parallel_identical_redeem_calls_redeem_once():
    tree = make_tree()
    valid_until = timezone.now() + timedelta(days=30)
    batch = make_batch(make_campaign(tree["city"], use_ends_at=valid_until), quantity=5)
    member = make_member(tree["enterprise_a"])
    from benefits import coupon_services

    coupon = coupon_services.coupon_claim(
        member=member, batch=CouponBatch.objects.select_related("campaign__organization").get(pk=batch.pk), now=DURING,
    )
    cinema = make_merchant(tree["city"])
    raw_key, _key = api_key_issue(name="影城收银台", scopes=["coupons:redeem"], merchant=cinema)

    answers = run_in_threads([redeem_call(raw_key, coupon.code, "same-key-1") for _ in range(50)])

    assert {status for status, _body in answers} == {200}
    assert len({body["redeemed_at"] for _status, body in answers}) == 1
    assert Redemption.objects.count() == 1
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.REDEEMED

    # 50 different keys for one fresh coupon: one wins, the rest hear "already redeemed".
    second = coupon_services.coupon_claim(
        member=make_member(tree["enterprise_a"]),
        batch=CouponBatch.objects.select_related("campaign__organization").get(pk=batch.pk), now=DURING,
    )
    answers = run_in_threads([redeem_call(raw_key, second.code, f"key-{i}") for i in range(50)])
    codes = Counter(body.get("code") if status != 200 else "ok" for status, body in answers)
    assert codes == {"ok": 1, "already_redeemed": 49}


def test_a_coupon_redeemed_while_its_batch_is_voided_stays_redeemed():
    """The merchant's redemption holds the coupon's row; the batch's void waits for it and then
    finds it used: no coupon is both redeemed and void."""
    import threading

    from django.db import transaction

    from benefits import coupon_services as services

    tree = make_tree()
    batch = make_batch(make_campaign(tree["city"]), quantity=5)
    with mock.patch("benefits.coupon_services.timezone.now", return_value=DURING):
        coupons = [services.coupon_claim(member=make_member(tree["enterprise_a"]), batch=batch) for _ in range(5)]
    cinema = make_merchant(tree["city"])
    held, release, voided = threading.Event(), threading.Event(), []

    def redeem_slowly():
        try:
            with transaction.atomic():
                coupon = Coupon.objects.select_for_update().get(pk=coupons[0].pk)
                held.set()
                release.wait(10)
                coupon.status, coupon.redeemed_at, coupon.redeemed_by = Coupon.Status.REDEEMED, DURING, cinema
                coupon.save(update_fields=["status", "redeemed_at", "redeemed_by"])
        finally:
            connection.close()

    def void_the_batch():
        try:
            voided.append(services.coupons_void(actor=None, coupons=Coupon.objects.filter(batch=batch),
                                                reason="商家退出"))
        finally:
            connection.close()

    redeemer = threading.Thread(target=redeem_slowly)
    redeemer.start()
    assert held.wait(10)
    voider = threading.Thread(target=void_the_batch)
    voider.start()
    voider.join(1)
    assert voider.is_alive()  # waiting for the redemption's row lock
    release.set()
    redeemer.join(), voider.join(10)
    assert voided == [4]
    statuses = dict(Coupon.objects.filter(batch=batch).values_list("pk", "status"))
    assert statuses.pop(coupons[0].pk) == "redeemed" and set(statuses.values()) == {"void"}
