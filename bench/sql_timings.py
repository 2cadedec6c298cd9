"""Time the database side of hot queries on their own: `SQL name= p50_ms= p95_ms= plan=`."""

import random
import statistics
import sys
import time

from bench.django_process import setup_django


def _percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def time_query(queryset_for, count=300):
    from django.db import connection

    samples, plan = [], ""
    with connection.cursor() as cursor:
        for index in range(count):
            sql, params = queryset_for(index).query.sql_with_params()
            if index == 0:
                cursor.execute("EXPLAIN " + sql, params)
                plan = " ".join(row[0].strip() for row in cursor.fetchall())
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return samples, plan


def main() -> int:
    setup_django()
    from stations.selectors import StationSearch, station_search

    rng = random.Random(11)
    points = [(24.874 + rng.uniform(-0.3, 0.3), 118.676 + rng.uniform(-0.3, 0.3)) for _ in range(300)]
    samples, plan = time_query(lambda i: station_search(StationSearch(near=points[i]))[:20])
    uses_index = "Index Scan" in plan and "Sort" not in plan.split("Index Scan")[0]
    p95 = _percentile(samples, 0.95)
    print(f"SQL name=nearest_stations_knn p50_ms={statistics.median(samples):.2f} p95_ms={p95:.2f} "
          f"index_order={'yes' if uses_index else 'no'}", flush=True)
    if p95 > 2.0 or not uses_index:
        print(f"MISSED nearest_stations_knn: p95 {p95:.2f} ms (target 2 ms), plan: {plan[:300]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
