"""The claim storm: every claimer released at once at one first-come batch.

8,000 members press "claim" at the same moment, 1,000 of them twice (double clicks), for a
batch of 5,000 coupons. Then the database must hold exactly 5,000 coupons for 5,000
distinct members, no answer may be a 5xx, and no connection may be reset: the server
sheds load with quick answers (409 sold out, 429/503 with Retry-After), never by dropping
sockets. Prints `STORM PASS|FAIL` per round and exits 1 unless every round passes.
"""

import asyncio
import json
import os
import resource
import sys
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
from bench.django_process import setup_django

HERE = Path(__file__).resolve().parent
BASE_URL = os.environ.get("BENCH_URL", "http://127.0.0.1:8100")
QUANTITY = int(os.environ.get("STORM_QUANTITY", "5000"))
CLAIMERS = int(os.environ.get("STORM_CLAIMERS", "8000"))
DOUBLE_CLICKS = int(os.environ.get("STORM_DOUBLE_CLICKS", "1000"))
ROUNDS = int(os.environ.get("STORM_ROUNDS", "5"))


def storm_batch(round_number: int):
    """A fresh campaign with one first-come batch, open now, for every active member."""
    from django.utils import timezone

    from benefits.coupon_services import batch_create, campaign_create
    from members.models import Organization

    city = Organization.objects.get_root_nodes().first()
    now = timezone.now()
    campaign = campaign_create(
        actor=None, organization=city, title=f"压测抢券第{round_number}轮 {now:%H%M%S}",
        budget=Decimal(QUANTITY * 10), claim_starts_at=now - timedelta(minutes=1),
        claim_ends_at=now + timedelta(hours=1), use_ends_at=now + timedelta(days=30),
    )
    return batch_create(actor=None, campaign=campaign, kind="cooling_drink", face_value=Decimal("10.00"), quantity=QUANTITY)


async def claim(session, url, token, start: asyncio.Event, statuses: Counter, failures: Counter):
    await start.wait()
    try:
        async with session.post(url, headers={"Authorization": f"Bearer {token}"}) as response:
            await response.read()
            statuses[response.status] += 1
    except aiohttp.ServerDisconnectedError:
        failures["server_disconnected"] += 1
    except aiohttp.ClientConnectionError as error:  # includes connection resets
        failures[type(error).__name__] += 1
    except asyncio.TimeoutError:
        failures["timeout"] += 1


async def storm(batch_id: int, tokens: list[str]) -> tuple[Counter, Counter, float]:
    url = f"{BASE_URL}/api/v1/coupon-batches/{batch_id}/claim/"
    statuses, failures = Counter(), Counter()
    start = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=180)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        claimers = tokens[:CLAIMERS] + tokens[:DOUBLE_CLICKS]
        tasks = [asyncio.create_task(claim(session, url, token, start, statuses, failures)) for token in claimers]
        await asyncio.sleep(0.5)  # every task is waiting on the start line
        started = time.monotonic()
        start.set()
        await asyncio.gather(*tasks)
    return statuses, failures, time.monotonic() - started


def database_counts(batch_id: int) -> tuple[int, int, int]:
    from django.db.models import Count

    from benefits.models import Coupon, CouponBatch

    coupons = Coupon.objects.filter(batch_id=batch_id).aggregate(total=Count("pk"), members=Count("member", distinct=True))
    return coupons["total"], coupons["members"], CouponBatch.objects.get(pk=batch_id).claimed


def main() -> int:
    setup_django()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    tokens = json.loads((HERE / "out" / "fixtures.json").read_text())["member_tokens"]
    if len(tokens) < CLAIMERS:
        print(f"STORM FAIL: {len(tokens)} member tokens, {CLAIMERS} needed (generate with --tokens)")
        return 1
    passed = 0
    for round_number in range(1, ROUNDS + 1):
        batch = storm_batch(round_number)
        statuses, failures, seconds = asyncio.run(storm(batch.pk, tokens))
        total, members, claimed = database_counts(batch.pk)
        server_errors = sum(count for status, count in statuses.items() if status >= 500 and status != 503)
        ok = (
            total == QUANTITY and members == QUANTITY and claimed == QUANTITY
            and server_errors == 0 and not failures and statuses.get(201, 0) == QUANTITY
        )
        passed += ok
        codes = " ".join(f"{status}={count}" for status, count in sorted(statuses.items()))
        dropped = " ".join(f"{name}={count}" for name, count in sorted(failures.items())) or "none"
        print(f"STORM {'PASS' if ok else 'FAIL'} round={round_number} seconds={seconds:.1f} {codes} "
              f"dropped={dropped} db_coupons={total} db_members={members} batch_claimed={claimed}", flush=True)
    print(f"STORM {'PASS' if passed == ROUNDS else 'FAIL'} {passed} of {ROUNDS}", flush=True)
    return 0 if passed == ROUNDS else 1


if __name__ == "__main__":
    sys.exit(main())
