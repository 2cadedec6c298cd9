"""Coupon API: behaviour, the contract's codes, and the permission table."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from benefits import coupon_rules as rules
from benefits.coupon_api import MyCouponSerializer
from benefits.models import Campaign, Coupon, CouponBatch, LotteryApplication, Merchant, Redemption
from members.models import Member, StaffAssignment
from tests.factories import make_member, make_staff, make_tree
from unionportal.core.services import api_key_issue

from .builders import make_batch, make_merchant, make_open_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


@pytest.fixture
def world(tree):
    """A district-A campaign with a movie batch, people in every role and two partner keys."""
    campaign = make_open_campaign(tree["district_a"])
    cinema = make_merchant(tree["district_a"])
    batch = make_batch(campaign, merchants=[cinema])
    redeem_key, _ = api_key_issue(name="影城", scopes=["coupons:redeem"], merchant=cinema)
    other_scope_key, _ = api_key_issue(name="驿站", scopes=["stations:read"], merchant=cinema)
    return {
        "tree": tree, "campaign": campaign, "batch": batch, "cinema": cinema,
        "member": make_member(tree["enterprise_a"]).user,
        "outsider": make_member(tree["enterprise_b"]).user,
        "city_admin": make_staff(tree["city"]),
        "admin_a": make_staff(tree["district_a"]),
        "admin_b": make_staff(tree["district_b"]),
        "viewer_a": make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER),
        "redeem_key": redeem_key, "other_scope_key": other_scope_key,
    }


def client_as(api_client, world, who):
    if who is None:
        return api_client
    if who.endswith("_key"):
        api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world[who]}")
    else:
        user = world[who]
        api_client.force_authenticate(type(user).objects.get(pk=user.pk))  # fresh, as a real request
    return api_client


def call(api_client, world, who, method, path, data=None, **headers):
    client = client_as(api_client, world, who)
    return getattr(client, method)(path, data or {}, format="json", **headers)


# --- the permission table -----------------------------------------------------------------------

ENDPOINTS = {
    "campaigns": ("get", lambda w: "/api/v1/coupon-campaigns/", None),
    "campaign_create": ("post", lambda w: "/api/v1/coupon-campaigns/", lambda w: {
        "title": "新活动", "budget": "1000.00", "claim_starts_at": "2026-12-01T10:00:00+08:00",
        "claim_ends_at": "2026-12-08T10:00:00+08:00", "use_ends_at": "2027-01-31T23:59:59+08:00",
    }),
    "batch_create": ("post", lambda w: f"/api/v1/coupon-campaigns/{w['campaign'].pk}/batches/", lambda w: {
        "kind": "meal", "face_value": "50.00", "quantity": 10,
    }),
    "stats": ("get", lambda w: f"/api/v1/coupon-batches/{w['batch'].pk}/stats/", None),
    "merchant_create": ("post", lambda w: "/api/v1/merchants/", lambda w: {"name": "餐厅", "accepted_kinds": ["meal"]}),
    "claim": ("post", lambda w: f"/api/v1/coupon-batches/{w['batch'].pk}/claim/", None),
    "my_coupons": ("get", lambda w: "/api/v1/me/coupons/", None),
    "redeem": ("post", lambda w: "/api/v1/coupons/redeem/", lambda w: {"code": rules.new_coupon_code()}),
}

# role → endpoint → expected status
TABLE = {
    None: dict(campaigns=401, campaign_create=401, batch_create=401, stats=401, merchant_create=401, claim=401,
               my_coupons=401, redeem=401),
    "member": dict(campaigns=200, campaign_create=403, batch_create=403, stats=403, merchant_create=403, claim=201,
                   my_coupons=200, redeem=403),
    "outsider": dict(campaigns=200, campaign_create=403, batch_create=403, stats=403, merchant_create=403, claim=404,
                     my_coupons=200, redeem=403),
    "city_admin": dict(campaigns=403, campaign_create=201, batch_create=201, stats=200, merchant_create=201, claim=403,
                       my_coupons=403, redeem=403),
    "admin_a": dict(campaigns=403, campaign_create=201, batch_create=201, stats=200, merchant_create=201, claim=403,
                    my_coupons=403, redeem=403),
    "admin_b": dict(campaigns=403, campaign_create=201, batch_create=404, stats=404, merchant_create=201, claim=403,
                    my_coupons=403, redeem=403),
    "viewer_a": dict(campaigns=403, campaign_create=403, batch_create=403, stats=200, merchant_create=403, claim=403,
                     my_coupons=403, redeem=403),
    "redeem_key": dict(campaigns=403, campaign_create=403, batch_create=403, stats=403, merchant_create=403, claim=403,
                       my_coupons=403, redeem=404),
    "other_scope_key": dict(campaigns=403, campaign_create=403, batch_create=403, stats=403, merchant_create=403,
                            claim=403, my_coupons=403, redeem=403),
}
CASES = [(who, endpoint, status) for who, row in TABLE.items() for endpoint, status in row.items()]


def snapshot():
    return [model.objects.count() for model in (Campaign, CouponBatch, Coupon, Merchant, Redemption, LotteryApplication)]


@pytest.mark.parametrize(("who", "endpoint", "expected"), CASES, ids=[f"{w}-{e}" for w, e, _ in CASES])
def test_permission_table(api_client, world, who, endpoint, expected):
    method, path, body = ENDPOINTS[endpoint]
    before = snapshot()
    headers = {"HTTP_IDEMPOTENCY_KEY": "perm-1"} if endpoint == "redeem" else {}
    response = call(api_client, world, who, method, path(world), body(world) if body else None, **headers)
    assert response.status_code == expected, response.content
    if expected >= 400 and not (endpoint == "redeem" and expected == 404):
        assert snapshot() == before  # a refusal changes nothing
        assert set(response.json()) >= {"detail", "code"}


# --- members -----------------------------------------------------------------------------------

def test_campaign_list_shows_remaining_and_eligibility(api_client, world):
    world["batch"].merchants.clear()
    CouponBatch.objects.filter(pk=world["batch"].pk).update(claimed=3)
    response = call(api_client, world, "member", "get", "/api/v1/coupon-campaigns/")
    assert response.status_code == 200
    (campaign,) = response.json()["results"]
    (batch,) = campaign["batches"]
    assert (batch["id"], batch["kind"], batch["face_value"], batch["quantity"], batch["remaining"]) == (
        world["batch"].pk, "movie", "50.00", 10, 7,
    )
    assert batch["eligible"] is True and campaign["eligible"] is True
    assert batch["claim_starts_at"].endswith("+08:00")


def test_campaign_list_for_an_ineligible_member_says_why(api_client, world):
    Campaign.objects.filter(pk=world["campaign"].pk).update(frontline_only=True)
    response = call(api_client, world, "member", "get", "/api/v1/coupon-campaigns/")
    (campaign,) = response.json()["results"]
    assert campaign["eligible"] is False and campaign["batches"][0]["eligible"] is False
    assert "一线职工" in campaign["not_eligible_reason"]


def test_closed_campaigns_are_not_listed(api_client, world):
    past = timezone.now() - timedelta(days=1)
    Campaign.objects.filter(pk=world["campaign"].pk).update(claim_starts_at=past - timedelta(days=7), claim_ends_at=past)
    response = call(api_client, world, "member", "get", "/api/v1/coupon-campaigns/")
    assert response.json()["count"] == 0


def test_claim_answers_per_contract(api_client, world):
    path = f"/api/v1/coupon-batches/{world['batch'].pk}/claim/"
    first = call(api_client, world, "member", "post", path)
    assert first.status_code == 201
    body = first.json()
    assert rules.code_is_well_formed(body["code"]) and body["expires_at"].endswith("+08:00")
    assert body["status"] == "issued" and body["face_value"] == "50.00"
    again = call(api_client, world, "member", "post", path)
    assert (again.status_code, again.json()["code"]) == (409, "already_claimed")


def test_claim_sold_out(api_client, world):
    CouponBatch.objects.filter(pk=world["batch"].pk).update(claimed=10)
    response = call(api_client, world, "member", "post", f"/api/v1/coupon-batches/{world['batch'].pk}/claim/")
    assert (response.status_code, response.json()["code"]) == (409, "sold_out")


def test_claim_not_eligible_and_not_open(api_client, world):
    path = f"/api/v1/coupon-batches/{world['batch'].pk}/claim/"
    Member.objects.filter(user=world["member"]).update(status=Member.Status.PENDING)
    response = call(api_client, world, "member", "post", path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert (response.status_code, response.json()["code"]) == (403, "not_eligible")
    assert "审核" in response.json()["detail"]
    Member.objects.filter(user=world["member"]).update(status=Member.Status.ACTIVE)
    CouponBatch.objects.filter(pk=world["batch"].pk).update(claim_starts_at=timezone.now() + timedelta(hours=1))
    response = call(api_client, world, "member", "post", path, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()["code"]) == (400, "not_open")
    assert response.json()["detail"] == "Claiming has not opened yet."
    assert not Coupon.objects.exists()


def test_lottery_batch_answers_202_applied(api_client, world):
    lottery = make_batch(world["campaign"], kind="convalescence", face_value=Decimal("500.00"), quantity=2, mode="lottery")
    for _ in range(2):
        response = call(api_client, world, "member", "post", f"/api/v1/coupon-batches/{lottery.pk}/claim/")
        assert response.status_code == 202 and response.json() == {"status": "applied", "batch": lottery.pk}
    assert LotteryApplication.objects.filter(batch=lottery).count() == 1
    listed = call(api_client, world, "member", "get", "/api/v1/coupon-campaigns/").json()["results"][0]["batches"]
    assert [b["applied"] for b in listed] == [False, True]


def test_my_coupons_lists_only_my_own(api_client, world):
    path = f"/api/v1/coupon-batches/{world['batch'].pk}/claim/"
    call(api_client, world, "member", "post", path)
    other = make_member(world["tree"]["enterprise_a"]).user
    api_client.force_authenticate(other)
    api_client.post(path)
    response = call(api_client, world, "member", "get", "/api/v1/me/coupons/")
    (coupon,) = response.json()["results"]
    assert coupon["status"] == "issued" and coupon["kind"] == "movie"
    assert coupon["code"] == Coupon.objects.get(member__user=world["member"]).code
    assert call(api_client, world, "member", "get", "/api/v1/me/coupons/?status=redeemed").json()["count"] == 0
    # Rows are written directly; they must say exactly what the documented serializer says.
    Coupon.objects.filter(member__user=world["member"]).update(
        status=Coupon.Status.REDEEMED, redeemed_at=timezone.now(), redeemed_by=world["cinema"])
    (redeemed,) = call(api_client, world, "member", "get", "/api/v1/me/coupons/?status=redeemed").json()["results"]
    mine = Coupon.objects.select_related("batch__campaign", "redeemed_by").get(member__user=world["member"])
    assert redeemed == json.loads(json.dumps(MyCouponSerializer(mine).data))
    assert redeemed["redeemed_by"] == world["cinema"].name and redeemed["status_label"] and redeemed["kind_label"]


def test_my_coupons_pages_newest_first(api_client, world):
    """The first page is read by a compiled query, later pages by the queryset: they must agree."""
    from benefits import coupon_services

    member = Member.objects.get(user=world["member"])
    claimed = [
        coupon_services.coupon_claim(member=member, batch=make_batch(make_open_campaign(world["tree"]["district_a"])))
        for _ in range(3)
    ]
    newest_first = [coupon.code for coupon in sorted(claimed, key=lambda c: (c.issued_at, c.pk), reverse=True)]
    for query in ("", "&status=issued"):
        first = call(api_client, world, "member", "get", f"/api/v1/me/coupons/?page_size=2{query}").json()
        second = call(api_client, world, "member", "get", f"/api/v1/me/coupons/?page_size=2&page=2{query}").json()
        assert first["count"] == second["count"] == 3 and first["next"] and not second["next"]
        assert [c["code"] for c in first["results"] + second["results"]] == newest_first
        assert first["results"][0]["face_value"] == f"{claimed[-1].batch.face_value:.2f}"
    assert call(api_client, world, "member", "get", "/api/v1/me/coupons/?status=void").json() == {
        "count": 0, "next": None, "previous": None, "results": [],
    }


# --- partners ------------------------------------------------------------------------------------

def claimed_code(api_client, world, who="member"):
    response = call(api_client, world, who, "post", f"/api/v1/coupon-batches/{world['batch'].pk}/claim/")
    api_client.force_authenticate(None)
    return response.json()["code"]


def redeem(api_client, world, code, key, who="redeem_key"):
    client = client_as(api_client, world, who)
    return client.post("/api/v1/coupons/redeem/", {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_redeem_and_replay(api_client, world):
    code = claimed_code(api_client, world)
    first = redeem(api_client, world, code, "k-1")
    assert first.status_code == 200 and first["Idempotent-Replayed"] == "false"
    body = first.json()
    assert body["status"] == "redeemed" and body["face_value"] == "50.00" and body["redeemed_at"].endswith("+08:00")
    replay = redeem(api_client, world, rules.format_code(code), "k-1")
    assert (replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (200, body, "true")
    again = redeem(api_client, world, code, "k-2")
    assert (again.status_code, again.json()["code"]) == (409, "already_redeemed")
    reused = redeem(api_client, world, rules.new_coupon_code(), "k-1")
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert Redemption.objects.count() == 2



def test_redeem_writes_the_coupon_the_stored_answers_and_the_audit_row(api_client, world):
    from unionportal.core.models import AuditLog

    code = claimed_code(api_client, world)
    body = redeem(api_client, world, code, "k-ok").json()
    coupon = Coupon.objects.get(code=code)
    assert coupon.status == Coupon.Status.REDEEMED and coupon.redeemed_by == world["cinema"]
    assert body["redeemed_at"] == timezone.localtime(coupon.redeemed_at).isoformat()
    stored = Redemption.objects.get(idempotency_key="k-ok")
    assert (stored.response_status, stored.response_body, stored.coupon) == (200, body, coupon)
    (entry,) = AuditLog.objects.filter(action="coupon_redeemed")
    assert (entry.object_id, entry.actor, entry.content_type.model) == (str(coupon.pk), None, "coupon")
    assert entry.organization_path == world["campaign"].organization.path
    assert entry.changes == {"merchant": world["cinema"].pk, "status": ["issued", "redeemed"]}
    assert entry.created_at == coupon.redeemed_at

    refused = redeem(api_client, world, code, "k-again")
    stored = Redemption.objects.get(idempotency_key="k-again")
    assert (stored.response_status, stored.response_body, stored.coupon) == (409, refused.json(), coupon)
    unknown = redeem(api_client, world, rules.new_coupon_code(), "k-unknown")
    stored = Redemption.objects.get(idempotency_key="k-unknown")
    assert (stored.response_status, stored.response_body, stored.coupon) == (404, unknown.json(), None)
    assert AuditLog.objects.filter(action="coupon_redeemed").count() == 1

def test_redeem_needs_an_idempotency_key(api_client, world):
    client = client_as(api_client, world, "redeem_key")
    response = client.post("/api/v1/coupons/redeem/", {"code": "X"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "idempotency_key_required")
    assert "Idempotency-Key" in response.json()["fields"]


def test_redeem_wrong_kind_is_403(api_client, world):
    code = claimed_code(api_client, world)
    pool = make_merchant(world["tree"]["district_a"], name="游泳馆", accepted_kinds=["swimming"])
    key, _ = api_key_issue(name="游泳馆", scopes=["coupons:redeem"], merchant=pool)
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = api_client.post("/api/v1/coupons/redeem/", {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY="p1")
    assert (response.status_code, response.json()["code"]) == (403, "kind_not_accepted")
    assert Coupon.objects.get(code=code).status == "issued"


def test_redeem_key_without_merchant_is_refused(api_client, world):
    key, _ = api_key_issue(name="无商户", scopes=["coupons:redeem"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = api_client.post("/api/v1/coupons/redeem/", {"code": "X"}, format="json", HTTP_IDEMPOTENCY_KEY="n1")
    assert (response.status_code, response.json()["code"]) == (403, "not_a_merchant")


def test_guessing_codes_is_throttled_per_key(api_client, world):
    code = claimed_code(api_client, world)
    for attempt in range(5):
        response = redeem(api_client, world, rules.new_coupon_code(), f"guess-{attempt}")
        assert response.status_code == 404
    blocked = redeem(api_client, world, code, "guess-6")
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled"
    assert Coupon.objects.get(code=code).status == "issued"
    # Another merchant's key is not affected.
    other = make_merchant(world["tree"]["district_a"], name="另一家影城")
    key, _ = api_key_issue(name="另一家影城", scopes=["coupons:redeem"], merchant=other)
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = api_client.post("/api/v1/coupons/redeem/", {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY="o1")
    assert response.status_code == 403  # reached the view: the batch lists only the first cinema


def test_successful_redemptions_are_not_throttled(api_client, world):
    codes = []
    for _ in range(7):
        user = make_member(world["tree"]["enterprise_a"]).user
        api_client.force_authenticate(user)
        codes.append(api_client.post(f"/api/v1/coupon-batches/{world['batch'].pk}/claim/").json()["code"])
    api_client.force_authenticate(None)
    statuses = [redeem(api_client, world, code, f"ok-{i}").status_code for i, code in enumerate(codes)]
    assert statuses == [200] * 7


# --- staff ---------------------------------------------------------------------------------------

def test_batch_over_budget_is_400(api_client, world):
    response = call(
        api_client, world, "admin_a", "post", f"/api/v1/coupon-campaigns/{world['campaign'].pk}/batches/",
        {"kind": "meal", "face_value": "500.00", "quantity": 1000},
    )
    assert (response.status_code, response.json()["code"]) == (400, "over_budget")
    assert "quantity" in response.json()["fields"]
    assert world["campaign"].batches.count() == 1


def test_batch_create_with_merchants_and_bad_input(api_client, world):
    path = f"/api/v1/coupon-campaigns/{world['campaign'].pk}/batches/"
    machine = make_merchant(world["tree"]["city"], name="清凉售货机", accepted_kinds=["cooling_drink"], is_vending_machine=True)
    outside = make_merchant(world["tree"]["district_b"], name="乙区影城")
    created = call(api_client, world, "admin_a", "post", path, {
        "kind": "cooling_drink", "face_value": "5.00", "quantity": 100, "per_member_limit": 2, "merchants": [machine.pk],
    })
    assert created.status_code == 201, created.content
    assert created.json()["merchants"] == [machine.pk] and created.json()["issues_pickup_codes"] is True
    refused = call(api_client, world, "admin_a", "post", path, {"kind": "movie", "face_value": "5.00", "quantity": 1,
                                                                  "merchants": [outside.pk]})
    assert (refused.status_code, refused.json()["code"]) == (400, "unknown_merchant")
    bad = call(api_client, world, "admin_a", "post", path, {"kind": "yacht", "face_value": "-1", "quantity": 0})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"kind", "face_value", "quantity"}


def test_campaign_create_defaults_to_own_organisation_and_refuses_other_trees(api_client, world):
    body = {
        "title": "智送清凉", "budget": "50000.00", "claim_starts_at": "2026-07-01T10:00:00+08:00",
        "claim_ends_at": "2026-07-31T10:00:00+08:00", "use_ends_at": "2026-10-31T23:59:59+08:00",
        "per_member_limit": 2, "worker_categories": ["delivery_rider", "courier"], "frontline_only": True,
    }
    created = call(api_client, world, "admin_a", "post", "/api/v1/coupon-campaigns/", body)
    assert created.status_code == 201
    assert created.json()["organization"] == world["tree"]["district_a"].pk and created.json()["budget"] == "50000.00"
    body["organization"] = world["tree"]["district_b"].pk
    refused = call(api_client, world, "admin_a", "post", "/api/v1/coupon-campaigns/", body)
    assert (refused.status_code, refused.json()["code"]) == (400, "unknown_organization")
    body.pop("organization")
    body["claim_ends_at"] = body["claim_starts_at"]
    window = call(api_client, world, "admin_a", "post", "/api/v1/coupon-campaigns/", body)
    assert window.status_code == 400 and "claim_ends_at" in window.json()["fields"]


def test_stats_counts_and_values(api_client, world):
    code = claimed_code(api_client, world)
    redeem(api_client, world, code, "s-1")
    api_client.credentials()
    response = call(api_client, world, "admin_a", "get", f"/api/v1/coupon-batches/{world['batch'].pk}/stats/")
    assert response.json() == {
        "quantity": 10, "claimed": 1, "redeemed": 1, "expired": 0, "void": 0, "remaining": 9,
        "quantity_value": "500.00", "claimed_value": "50.00", "redeemed_value": "50.00", "expired_value": "0.00",
        "remaining_value": "450.00",
    }


def test_merchant_create(api_client, world):
    response = call(api_client, world, "admin_a", "post", "/api/v1/merchants/", {
        "name": "昆山清凉售货机", "accepted_kinds": ["cooling_drink"], "is_vending_machine": True,
    })
    assert response.status_code == 201
    assert Merchant.objects.get(pk=response.json()["id"]).organization == world["tree"]["district_a"]
    bad = call(api_client, world, "admin_a", "post", "/api/v1/merchants/", {"name": "x", "accepted_kinds": []})
    assert bad.status_code == 400 and "accepted_kinds" in bad.json()["fields"]
