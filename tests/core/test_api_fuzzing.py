"""API fuzzing: schemathesis over every operation of /api/schema/ against the test server in
production mode, as a member, a staff member and a partner, with a fixed seed.

Every answer must be one the schema documents (status code, content type, headers, body),
none may be a server error, and protected operations must refuse missing credentials. The
path ids point at real rows (a station, the member's claims, a pending member …), so the
documented 200/201 bodies are checked against real data, not only the error answers.
"""

import re
import shutil
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from benefits import aid_services, coupon_services
from convalescence import services as convalescence_services
from members.models import Member
from stations import services as station_services
from stations.models import ServiceOffering, ServiceSession, Visit
from unionportal.core.services import api_key_issue, api_token_issue

from ..benefits_aid.builders import claim_fields, plan_fields, png_bytes
from ..benefits_coupons.builders import make_batch, make_merchant, make_open_campaign
from ..convalescence.builders import make_base, make_program
from ..factories import make_member, make_staff, make_tree
from ..members.builders import consent_published
from ..stations.builders import make_exception, make_station, make_stop

SCHEMATHESIS = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
# Every conformance check, minus two that ask for something this API deliberately does otherwise:
# - negative_data_rejection: query values the API cannot use are ignored, not refused (an
#   unparsable page_size gives the default page, an unknown status filter filters nothing out
#   or everything, never 400).
# - positive_data_acceptance: schema-valid input is refused with the contract's 400 when a rule
#   the schema cannot express says no (a radius without a position, an unknown union, a wrong
#   password, an exhausted budget, an ID number with a wrong check digit), or when a form
#   body carries what only JSON can say (null).
EXCLUDED_CHECKS = "negative_data_rejection,positive_data_acceptance"
# Random cases per operation: a few hundred per role, half a minute each. The coverage phase
# (boundary values, undeclared methods, missing headers: some 3,800 cases per role) passes as
# well but takes minutes; add `coverage` to --phases to run it.
EXAMPLES_PER_OPERATION = 6


def _world():
    """A small federation with one of everything the API shows, in states it can still change."""
    today, now = timezone.localdate(), timezone.now()
    tree = make_tree()
    member = make_member(tree["enterprise_a"], is_frontline=True)
    staff = make_staff(tree["district_a"])
    pending = make_member(tree["enterprise_a"], status=Member.Status.PENDING)

    station = make_station(tree["street_a"])
    make_exception(station, today + timedelta(days=3))
    ServiceOffering.objects.create(station=station, kind="legal_talk", title="劳动法讲座")
    mobile = make_station(tree["street_a"], name="流动驿站", kind="mobile_station", is_open_24h=True)
    make_stop(mobile, today, "00:00", "23:59")
    make_stop(mobile, today + timedelta(days=1), "08:00", "18:00")
    station_services.rating_submit(station=station, member=member, score=4, comment="干净")
    station_services.visit_record(station=station, source=Visit.Source.QR_CHECK_IN, member=member)
    station_services.health_reading_submit(
        station=station, card_number=member.card_number,
        values={"systolic_bp": Decimal("150"), "diastolic_bp": Decimal("95"), "heart_rate": Decimal("70")},
    )
    session_times = {"starts_at": now + timedelta(days=5), "ends_at": now + timedelta(days=5, hours=2)}
    bookable = ServiceSession.objects.create(station=station, kind="consultation", title="坐诊", capacity=5,
                                             **session_times)
    booked = ServiceSession.objects.create(station=station, kind="lecture", title="健康讲座", capacity=5,
                                           **session_times)
    booking = station_services.session_book(session_id=booked.pk, member=member)

    merchant = make_merchant(tree["district_a"])
    campaign = make_open_campaign(tree["district_a"], per_member_limit=3)
    held = make_batch(campaign, merchants=[merchant], per_member_limit=2)
    claimable = make_batch(campaign, kind="meal", face_value=Decimal("20.00"))
    make_batch(campaign, mode="lottery")
    for _ in range(2):
        coupon_services.coupon_claim(member=member, batch=held)
    redeemed = member.coupons.order_by("pk").first()
    coupon_services.coupon_redeem(merchant=merchant, code=redeemed.code, idempotency_key="fuzz-1")

    year = (today - timedelta(days=10)).year
    plan = aid_services.aid_plan_create(actor=None, organization=tree["city"], **plan_fields(
        year=year, coverage_starts_on=today.replace(year=year, month=1, day=1),
        coverage_ends_on=today.replace(year=year, month=12, day=31)))
    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX1", actor=member.user)
    claims = [
        aid_services.aid_claim_submit(
            member=member, today=today, documents=[(png_bytes(), "invoice.png")],
            **claim_fields(admitted_on=today - timedelta(days=10), discharged_on=today - timedelta(days=5)))
        for _ in range(2)
    ]
    aid_services.aid_claim_approve(claim_id=claims[0].pk, actor=staff)

    program = make_program(make_base(tree["city"]))
    trip = convalescence_services.session_create(
        actor=staff, program=program, organising_union=tree["district_a"], starts_on=today + timedelta(days=30),
        seats=3, nomination_opens_at=now - timedelta(days=1), nomination_closes_at=now + timedelta(days=5),
        confirmation_deadline=now + timedelta(days=10),
    )
    nomination = convalescence_services.nomination_create(actor=staff, session=trip, member=member)
    convalescence_services.nomination_approve(actor=staff, nomination=nomination)

    partner_key, _ = api_key_issue(
        name="fuzz", scopes=["stations:read", "health:write", "coupons:redeem", "members:verify"],
        merchant=merchant, station=station,
    )
    return {
        "users": {"member": member.user, "staff": staff},
        "partner_key": partner_key,
        "path_ids": {
            "/api/v1/stations/{id}/": {"id": station.pk},
            "/api/v1/stations/{id}/ratings/": {"id": station.pk},
            "/api/v1/stations/{id}/check-in/": {"id": station.pk},
            "/api/v1/health-sessions/{id}/book/": {"id": bookable.pk},
            "/api/v1/health-bookings/{id}/cancel/": {"id": booking.pk},
            "/api/v1/coupon-campaigns/{id}/batches/": {"id": campaign.pk},
            "/api/v1/coupon-batches/{id}/claim/": {"id": claimable.pk},
            "/api/v1/coupon-batches/{id}/stats/": {"id": held.pk},
            "/api/v1/aid-claims/{id}/": {"id": claims[0].pk},
            "/api/v1/aid-claims/{id}/documents/{document_id}/": {
                "id": claims[0].pk, "document_id": claims[0].documents.get().pk},
            **{f"/api/v1/aid-claims/{{id}}/{action}/": {"id": claims[1].pk}
               for action in ("documents", "approve", "reject", "return", "resubmit")},
            "/api/v1/convalescence/sessions/{id}/": {"id": trip.pk},
            "/api/v1/convalescence/sessions/{id}/check-in/": {"id": trip.pk},
            **{f"/api/v1/convalescence/nominations/{{id}}/{action}": {"id": nomination.pk}
               for action in ("", "confirm/", "decline/", "approve/", "reject/")},
            **{f"/api/v1/members/{{id}}/{action}": {"id": pending.pk} for action in ("", "verify/", "reject/")},
        },
    }


def _config(path_ids: dict) -> str:
    """schemathesis.toml: the real ids per path; no state kept between runs (fixed seed only)."""
    lines = ["[cache]", "enabled = false", ""]
    for path, values in path_ids.items():
        parameters = ", ".join(f'"path.{name}" = {value}' for name, value in values.items())
        lines += ["[[operations]]", f'include-path = "{path}"', f"parameters = {{ {parameters} }}", ""]
    return "\n".join(lines)


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "public"
    settings.DEBUG = False  # production answers: unknown API paths are JSON 404s, not the debug page
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        name: "100000/min" for name in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}}
    consent_published()  # as the migration publishes it; transactional tests empty the tables
    return _world()


@pytest.mark.parametrize("role", ["member", "staff", "partner"])
def test_every_answer_is_one_the_schema_documents(live_server, world, role, tmp_path):
    if role == "partner":
        credentials = f"Api-Key {world['partner_key']}"
    else:
        token, _ = api_token_issue(user=world["users"][role], lifetime=settings.API_TOKEN_LIFETIME)
        credentials = f"Bearer {token}"
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(world["path_ids"]))
    result = subprocess.run(
        [SCHEMATHESIS, "--config-file", str(config), "run", f"{live_server.url}/api/schema/",
         "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS,
         "--header", f"Authorization: {credentials}", "--seed", "2026", "--max-examples", str(EXAMPLES_PER_OPERATION),
         "--phases", "examples,fuzzing,stateful", "--generation-database", "none", "--no-color"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,  # hypothesis writes into the working directory
    )
    summary = [line for line in result.stdout.splitlines() if "generated" in line]
    assert result.returncode == 0, result.stdout[-6000:]
    assert summary and "passed" in summary[-1]  # cases really ran …
    assert int(re.search(r"(\d+) generated", summary[-1]).group(1)) >= 300  # … a few hundred of them
