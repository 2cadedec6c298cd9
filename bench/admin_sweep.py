"""Every change list of the back office at city scale, with its add form and one row's form, as
the city's administrator (a superuser, who sees every list) and as a district's: each page
opened a few times in-process, the slowest query named. Finds the page that reads a whole table
before anyone opens it on a phone.

    python -m bench.admin_sweep [--samples N]      (bench/run.sh runs it with the ADMIN lines)

Prints `ADMIN name=<list|add|form>:<app>.<model>[:district] p50_ms= p95_ms= queries=
slowest_ms=` and a `MISSED` line for each page whose median is over LIST_TARGET_MS. The median,
since the sweep looks for a page that reads a whole table (that shows in every sample), not for
the spread of a shared machine, which a few samples' p95 would mostly measure.
"""

import argparse
import statistics
import sys
import time


from bench.admin_timings import _percentile
from bench.django_process import freeze_like_the_server, setup_django

LIST_TARGET_MS = 150
CITY_ADMIN, DISTRICT_ADMIN = "13900000001", "13900000002"


def timed_answers(client, path: str, samples: int, *, each=lambda response: None, **headers):
    """(p50 ms, p95 ms, the last answer's queries, the slowest query's ms) of `samples` GETs of
    `path`; `each(response)` runs on every answer, inside its time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, slowest = [], 0.0
    for _ in range(samples):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            each(client.get(path, secure=True, **headers))
            times.append((time.perf_counter() - started) * 1000)
        slowest = max([slowest, *(float(query["time"]) * 1000 for query in queries.captured_queries)])
    return statistics.median(times), _percentile(times, 0.95), len(queries.captured_queries), slowest


def reported(missed: list[str]) -> int:
    """Print a `MISSED` line for each target missed; the sweep's exit status."""
    for line in missed:
        print(f"MISSED {line}")
    return 1 if missed else 0


def pages(model, model_admin, request) -> list[tuple[str, str]]:
    """The pages of one model's admin that `request.user` may open: its change list, its add
    form, and the change form of one object it shows them (any one: the sweep looks for a form
    that reads a whole table, such as a choice of every union)."""
    from django.urls import reverse

    route = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    found = [("list", reverse(f"{route}_changelist"))]
    if model_admin.has_add_permission(request):
        found.append(("add", reverse(f"{route}_add")))
    pk = model_admin.get_queryset(request).order_by().values_list("pk", flat=True).first()
    if pk is not None and model_admin.has_view_or_change_permission(request):
        found.append(("form", reverse(f"{route}_change", args=[pk])))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args(argv)
    setup_django()
    from django.contrib import admin
    from django.test import Client, RequestFactory
    from members.models import User

    freeze_like_the_server()
    missed = []
    for phone, suffix in ((CITY_ADMIN, ""), (DISTRICT_ADMIN, ":district")):
        user = User.objects.get_by_phone(phone)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        probe = RequestFactory().get("/admin/")
        probe.user = user
        for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
            if not model_admin.has_view_permission(probe):
                continue
            for kind, path in pages(model, model_admin, probe):
                client.get(path, secure=True)  # warm

                def answered(response, path=path):
                    assert response.status_code == 200, (path, response.status_code)

                p50, p95, queries, slowest = timed_answers(client, path, args.samples, each=answered)
                name = f"{kind}:{model._meta.label_lower}{suffix}"
                print(f"ADMIN name={name} p50_ms={p50:.1f} p95_ms={p95:.1f} "
                      f"queries={queries} slowest_ms={slowest:.1f}", flush=True)
                if p50 > LIST_TARGET_MS:
                    missed.append(f"{name}: p50 {p50:.1f} ms > {LIST_TARGET_MS} ms")
    return reported(missed)


if __name__ == "__main__":
    sys.exit(main())
