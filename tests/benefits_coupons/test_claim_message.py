"""A claim outside any transaction (as the API makes it) is one message to PostgreSQL, which
runs it as one transaction: all of it lands, or none of it."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benefits import coupon_services as services
from benefits.models import Coupon, CouponBatch, CouponClaimCount
from tests.factories import make_member, make_tree
from unionportal.core import held
from unionportal.core.errors import DomainError

from .builders import DURING, make_batch, make_campaign

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tree():
    return make_tree()


def claim(member, batch):
    batch = CouponBatch.objects.select_related("campaign__organization").get(pk=batch.pk)
    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as queries:
        try:
            return services.coupon_claim(member=member, batch=batch, now=DURING), queries
        except DomainError as error:
            return error, queries


def counters(member) -> list[tuple]:
    return sorted(CouponClaimCount.objects.filter(member=member).values_list("batch_id", "claimed", "claim_limit"),
                  key=str)


def test_a_claim_is_one_message_and_lands_whole(tree):
    batch = make_batch(make_campaign(tree["city"]), quantity=3)
    member = make_member(tree["enterprise_a"])

    coupon, queries = claim(member, batch)

    assert isinstance(coupon, Coupon)
    assert len(queries) == 1, [q["sql"] for q in queries]
    stored = Coupon.objects.get(pk=coupon.pk)
    assert (stored.member_id, stored.batch_id, stored.code) == (member.pk, batch.pk, coupon.code)
    assert stored.status == Coupon.Status.ISSUED
    assert CouponBatch.objects.get(pk=batch.pk).claimed == 1
    assert counters(member) == [(batch.pk, 1, 1), (None, 1, 1)]


def test_a_refused_claim_leaves_nothing_behind(tree):
    campaign = make_campaign(tree["city"])
    batch = make_batch(campaign, quantity=1)
    other = make_batch(campaign, kind="meal", quantity=5)
    first, late = make_member(tree["enterprise_a"]), make_member(tree["enterprise_b"])
    claim(first, batch)

    sold_out, _queries = claim(late, batch)
    over_limit, _queries = claim(first, other)

    assert (sold_out.code, over_limit.code) == ("sold_out", "already_claimed")
    assert counters(late) == []
    assert counters(first) == [(batch.pk, 1, 1), (None, 1, 1)]
    assert [b.claimed for b in CouponBatch.objects.filter(pk__in=[batch.pk, other.pk]).order_by("pk")] == [1, 0]
    assert Coupon.objects.count() == 1


def test_a_colliding_code_is_drawn_again_and_counted_once(tree):
    batch = make_batch(make_campaign(tree["city"], per_member_limit=2), quantity=5, per_member_limit=2)
    member = make_member(tree["enterprise_a"])
    taken, _queries = claim(member, batch)

    codes = iter([taken.code, "FRESHCODE"])
    with mock.patch.object(services.rules, "new_coupon_code", side_effect=lambda: next(codes)):
        second, queries = claim(member, batch)

    assert second.code == "FRESHCODE" and len(queries) == 2
    assert CouponBatch.objects.get(pk=batch.pk).claimed == 2
    assert counters(member) == [(batch.pk, 2, 2), (None, 2, 2)]


def test_sold_out_is_held_in_each_process_for_a_few_seconds(tree):
    batch = make_batch(make_campaign(tree["city"]), quantity=1)
    claim(make_member(tree["enterprise_a"]), batch)
    refused, _queries = claim(make_member(tree["enterprise_b"]), batch)  # the database refuses; Redis learns
    late = make_member(tree["enterprise_a"])

    def redis_knows_sold_out() -> bool:
        try:
            services.coupon_claim_sold_out_check(member=late, batch_id=batch.pk, now=DURING)
        except DomainError as error:
            assert error.code == "sold_out"
            return True
        return False

    assert refused.code == "sold_out" and redis_knows_sold_out()
    cache.delete(services._sold_out_key(batch.pk))
    assert redis_knows_sold_out()  # still held by this process
    held.forget_held()
    assert not redis_knows_sold_out()  # gone from both: the database decides again
