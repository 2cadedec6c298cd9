"""The back office at city scale, one client: the member change list and exact searches, coupon
batches and a coupon found by its code, the mutual-aid claim queue and enrolments, and the
convalescence nominations (bench/generate.py's year of each).

Prints `ADMIN name= p50_ms= p95_ms= queries=` and flags a COUNT(*) over the whole member
table or the whole table of the page measured. Runs in-process (Django's test client)
against the bench database.
"""

import statistics
import sys
import time

from bench.django_process import freeze_like_the_server, setup_django


SAMPLES = 60  # of 20, the p95 would be the slowest one


def _percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> int:
    setup_django()
    from django.apps import apps
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.generate import BENCH_CARD_PREFIX
    from benefits.models import AidClaim, AidPlan, Coupon
    from convalescence.models import Nomination
    from members.models import Member, User

    member = Member.objects.filter(card_number__startswith=BENCH_CARD_PREFIX).order_by("-pk").first()
    id_number, phone = member.id_number, member.user.phone
    # Bench members with a claim and with a nomination (the generator's 压测 plan and programs).
    claimant = AidClaim.objects.filter(plan__title__startswith="压测").order_by("-pk").values_list(
        "member__card_number", flat=True).first()
    nominee = Nomination.objects.filter(session__program__name__startswith="压测").order_by("-pk").values_list(
        "member__card_number", flat=True).first()
    coupon_code = Coupon.objects.order_by("-pk").values_list("code", flat=True).first()
    plan_id = AidPlan.objects.filter(title__startswith="压测").order_by("-year").values_list("pk", flat=True).first()
    freeze_like_the_server()
    cases = [
        ("member_changelist_city", "13900000001", "/admin/members/member/", 150),
        ("member_changelist_district", "13900000002", "/admin/members/member/", 150),
        ("member_changelist_pending", "13900000001", "/admin/members/member/?status__exact=pending", 150),
        ("member_search_full_id", "13900000001", f"/admin/members/member/?q={id_number}", 50),
        ("member_search_phone", "13900000001", f"/admin/members/member/?q={phone}", 50),
        ("member_search_name", "13900000001", "/admin/members/member/?q=陈建华", 150),
        ("coupon_batch_changelist_city", "13900000001", "/admin/benefits/couponbatch/", 150),
        ("coupon_search_code", "13900000001", f"/admin/benefits/coupon/?q={coupon_code}", 50),
    ]
    if claimant and nominee:
        cases += [
            # Reports, within a second: a plan's per district (counts over every member and a
            # year's enrolments and claims), and the stations' use over a month of visits.
            ("aid_plan_report_city", "13900000001", f"/admin/benefits/aidplan/{plan_id}/report/", 1000),
            ("aid_plan_report_district", "13900000002", f"/admin/benefits/aidplan/{plan_id}/report/", 1000),
            ("station_usage_city", "13900000001", "/admin/stations/station/usage/", 1000),
            ("station_usage_district", "13900000002", "/admin/stations/station/usage/", 1000),
            ("aid_claim_changelist_city", "13900000001", "/admin/benefits/aidclaim/", 150),
            ("aid_claim_search_card", "13900000001", f"/admin/benefits/aidclaim/?q={claimant}", 50),
            ("aid_enrolment_changelist_city", "13900000001", "/admin/benefits/aidenrolment/", 150),
            ("nomination_changelist_city", "13900000001", "/admin/convalescence/nomination/", 150),
            ("nomination_search_card", "13900000001", f"/admin/convalescence/nomination/?q={nominee}", 50),
        ]
    else:
        print("No bench aid claims or nominations: run `python -m bench.generate` first.", file=sys.stderr)
    missed = []
    for name, staff_phone, path, target_ms in cases:
        app_label, model_name = path.split("?")[0].strip("/").split("/")[1:3]
        tables = {"members_member", apps.get_model(app_label, model_name)._meta.db_table}
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get_by_phone(staff_phone))
        client.get(path)  # warm
        samples, counted = [], []
        for _ in range(SAMPLES):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path, secure=True)
                samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            counted = [q["sql"] for q in queries.captured_queries]
        full_counts = [sql for sql in counted if "COUNT(*)" in sql and "WHERE" not in sql
                       and any(f'"{table}"' in sql for table in tables)]
        p95 = _percentile(samples, 0.95)
        print(f"ADMIN name={name} p50_ms={statistics.median(samples):.1f} p95_ms={p95:.1f} "
              f"queries={len(counted)} unfiltered_counts={len(full_counts)}", flush=True)
        if p95 > target_ms:
            missed.append(f"{name}: p95 {p95:.1f} ms > {target_ms} ms")
        if full_counts:
            missed.append(f"{name}: unfiltered COUNT(*) on {', '.join(sorted(tables))}")
    for line in missed:
        print(f"MISSED {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
