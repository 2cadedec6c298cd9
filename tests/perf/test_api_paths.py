"""Hot API paths: how many queries and round trips they take (counted, never timed)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from benefits.models import Coupon, CouponBatch
from stations.models import Station
from tests.benefits_coupons.builders import make_batch, make_open_campaign
from tests.factories import make_member, make_tree
from tests.stations.builders import make_station
from unionportal.core import held, pagination
from unionportal.core.routers import REPLICA_ALIAS, ReplicaRouter, replica_reads
from unionportal.core.services import api_key_issue, api_token_issue
from unionportal.core.throttling import CallerRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


def bearer(member):
    raw, _token = api_token_issue(user=member.user, lifetime=timedelta(hours=1))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def counted(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, [q["sql"] for q in queries.captured_queries]


def test_me_is_one_query(api_client, tree):
    member = make_member(tree["enterprise_a"])
    headers = bearer(member)
    response, sqls = counted(lambda: api_client.get("/api/v1/me/", **headers))
    assert response.status_code == 200 and response.json()["card_number"] == member.card_number
    assert len(sqls) == 1 and "core_apitoken" in sqls[0]


def test_sold_out_claims_are_answered_from_redis_and_still_without_it(api_client, tree):
    batch = make_batch(make_open_campaign(tree["district_a"]), quantity=1)
    first, second, third = (make_member(tree["enterprise_a"]) for _ in range(3))
    outsider = make_member(tree["enterprise_b"])
    path = f"/api/v1/coupon-batches/{batch.pk}/claim/"
    assert api_client.post(path, **bearer(first)).status_code == 201
    response = api_client.post(path, **bearer(second))
    assert (response.status_code, response.json()["code"]) == (409, "sold_out")
    # From now on Redis knows: the token lookup is the only query.
    headers = bearer(third)
    response, sqls = counted(lambda: api_client.post(path, **headers))
    assert (response.status_code, response.json()["code"]) == (409, "sold_out")
    assert len(sqls) == 1 and "core_apitoken" in sqls[0]
    # The same checks as the full claim: outside the campaign's tree it does not exist.
    response = api_client.post(path, **bearer(outsider))
    assert response.status_code == 404
    # Redis forgot (or is away): each process still holds it for a few seconds,
    cache.clear()
    response, sqls = counted(lambda: api_client.post(path, **headers))
    assert (response.status_code, len(sqls)) == (409, 1)
    # then the database answers, and it still is sold out.
    held.forget_held()
    response, sqls = counted(lambda: api_client.post(path, **headers))
    assert (response.status_code, response.json()["code"]) == (409, "sold_out")
    assert len(sqls) > 1
    assert Coupon.objects.filter(batch=batch).count() == 1
    assert CouponBatch.objects.get(pk=batch.pk).claimed == 1


def test_claims_while_coupons_remain_ask_redis_once_a_second(api_client, tree, monkeypatch):
    from benefits import coupon_services

    asked = []
    cache_get = coupon_services._cache_get
    monkeypatch.setattr(coupon_services, "_cache_get", lambda key: asked.append(key) or cache_get(key))
    monkeypatch.setattr(coupon_services, "SOLD_OUT_UNKNOWN_HELD_SECONDS", 60)  # a slow machine's "second"
    batch = make_batch(make_open_campaign(tree["district_a"]), quantity=2)
    members = [make_member(tree["enterprise_a"]) for _ in range(4)]
    path = f"/api/v1/coupon-batches/{batch.pk}/claim/"
    statuses = [api_client.post(path, **bearer(member)).status_code for member in members[:2]]
    assert statuses == [201, 201] and len(asked) == 1  # the second claim trusted the first's answer
    # Within that second the batch sold out: the database refuses, and the process knows from then on.
    response = api_client.post(path, **bearer(members[2]))
    assert (response.status_code, response.json()["code"]) == (409, "sold_out")
    headers = bearer(members[3])
    response, sqls = counted(lambda: api_client.post(path, **headers))
    assert (response.status_code, response.json()["code"]) == (409, "sold_out")
    assert len(sqls) == 1 and "core_apitoken" in sqls[0] and len(asked) == 1
    assert cache.get(coupon_services._sold_out_key(batch.pk))["mode"] == CouponBatch.Mode.FIRST_COME
    assert CouponBatch.objects.get(pk=batch.pk).claimed == 2


def test_short_first_page_needs_no_count(api_client, tree):
    for n in range(3):
        make_station(tree["street_a"], lat=24.874 + n / 1000, name=f"驿站{n}")
    response, sqls = counted(lambda: api_client.get("/api/v1/stations/", {"near": "24.874,118.676"}))
    body = response.json()
    assert body["count"] == 3 and body["next"] is None and len(body["results"]) == 3
    assert not any("count(" in sql.lower() for sql in sqls)


def test_long_lists_count_up_to_the_cap(api_client, tree, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    for n in range(6):
        make_station(tree["street_a"], lat=24.874 + n / 1000, name=f"驿站{n}")
    body = api_client.get("/api/v1/stations/", {"near": "24.874,118.676", "page_size": 2}).json()
    assert body["count"] == 4 and body["next"] and len(body["results"]) == 2
    second = api_client.get("/api/v1/stations/", {"near": "24.874,118.676", "page_size": 2, "page": 2}).json()
    assert second["count"] == 4 and [r["id"] for r in second["results"]] != [r["id"] for r in body["results"]]
    monkeypatch.setattr(pagination, "COUNT_CAP", 100)
    assert api_client.get("/api/v1/stations/", {"page_size": 2}).json()["count"] == 6


def test_station_search_counts_once_a_minute_wherever_the_phone_stands(api_client, tree):
    for n in range(3):
        make_station(tree["street_a"], lat=24.874 + n / 1000, name=f"驿站{n}")
    first, sqls = counted(lambda: api_client.get("/api/v1/stations/", {"near": "24.874,118.676", "page_size": 1}))
    assert first.json()["count"] == 3 and any("count(" in sql.lower() for sql in sqls)
    make_station(tree["street_a"], lat=24.9, name="新驿站")
    elsewhere, sqls = counted(lambda: api_client.get("/api/v1/stations/", {"near": "24.95,118.7", "page_size": 1}))
    assert elsewhere.json()["count"] == 3 and not any("count(" in sql.lower() for sql in sqls)
    assert elsewhere.json()["results"][0]["name"] == "新驿站"  # the rows themselves are never cached
    cache.clear()  # a minute later: gone from the shared cache and from the process
    held.forget_held()
    assert api_client.get("/api/v1/stations/", {"near": "24.95,118.7", "page_size": 1}).json()["count"] == 4


def test_user_rate_limit_answers_429_with_retry_after(api_client, tree, monkeypatch):
    monkeypatch.setattr(CallerRateThrottle, "THROTTLE_RATES", {"user": "3/hour"})
    member = make_member(tree["enterprise_a"])
    headers = bearer(member)
    statuses = [api_client.get("/api/v1/me/", **headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api_client.get("/api/v1/me/", **headers)
    assert refused.json()["code"] == "throttled" and 0 < int(refused["Retry-After"]) <= 3600
    other = make_member(tree["enterprise_a"])  # counted per user
    assert api_client.get("/api/v1/me/", **bearer(other)).status_code == 200


def test_partners_and_anonymous_callers_are_limited_per_key_and_per_address(api_client, tree, monkeypatch):
    rates = {"user": "100/hour", "api_key": "2/hour", "anon": "2/hour"}
    monkeypatch.setattr(CallerRateThrottle, "THROTTLE_RATES", rates)
    first, _key = api_key_issue(name="闸机", scopes=["members:verify"])
    second, _key = api_key_issue(name="闸机二", scopes=["members:verify"])

    def verify(key):
        return api_client.post("/api/v1/members/verify-card/", {}, format="json", HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert [verify(first).status_code for _ in range(3)] == [400, 400, 429]
    assert verify(second).status_code == 400  # counted per key
    assert [api_client.get("/api/v1/organizations/").status_code for _ in range(3)] == [200, 200, 429]
    member = make_member(tree["enterprise_a"])  # a member at the same address has their own limit
    assert api_client.get("/api/v1/me/", **bearer(member)).status_code == 200


def test_without_a_replica_everything_uses_the_primary():
    assert REPLICA_ALIAS not in connections.settings
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Station) is None  # Django then picks the primary
    assert router.db_for_write(Station) == "default"
