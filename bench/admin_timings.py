"""The back office at city scale, one client: the member change list and exact searches.

Prints `ADMIN name= p50_ms= p95_ms= queries=` and flags a COUNT(*) over the whole member
table. Runs in-process (Django's test client) against the bench database.
"""

import gc
import os
import statistics
import sys
import time
from pathlib import Path

import django


SAMPLES = 60  # of 20, the p95 would be the slowest one


def _percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionportal.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.generate import BENCH_CARD_PREFIX
    from members.models import Member, User

    member = Member.objects.filter(card_number__startswith=BENCH_CARD_PREFIX).order_by("-pk").first()
    id_number, phone = member.id_number, member.user.phone
    # As the server's master does before forking its workers (unionportal/gunicorn.conf.py).
    gc.collect()
    gc.freeze()
    cases = [
        ("member_changelist_city", "13900000001", "/admin/members/member/", 150),
        ("member_changelist_district", "13900000002", "/admin/members/member/", 150),
        ("member_changelist_pending", "13900000001", "/admin/members/member/?status__exact=pending", 150),
        ("member_search_full_id", "13900000001", f"/admin/members/member/?q={id_number}", 50),
        ("member_search_phone", "13900000001", f"/admin/members/member/?q={phone}", 50),
        ("member_search_name", "13900000001", "/admin/members/member/?q=陈建华", 150),
    ]
    missed = []
    for name, staff_phone, path, target_ms in cases:
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
        full_counts = [sql for sql in counted if "COUNT(*)" in sql and "members_member" in sql and "WHERE" not in sql]
        p95 = _percentile(samples, 0.95)
        print(f"ADMIN name={name} p50_ms={statistics.median(samples):.1f} p95_ms={p95:.1f} "
              f"queries={len(counted)} unfiltered_counts={len(full_counts)}", flush=True)
        if p95 > target_ms:
            missed.append(f"{name}: p95 {p95:.1f} ms > {target_ms} ms")
        if full_counts:
            missed.append(f"{name}: unfiltered COUNT(*) on members")
    for line in missed:
        print(f"MISSED {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
