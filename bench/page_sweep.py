"""Every page of the workers' site (and the staff's few pages outside the back office) at city
scale, as those who open it: the public, a member (of three bench members, the one with the most
to show there), the city's staff and a district's, each signed in as a phone is. Each page is
opened a few times in-process and its slowest query named, as bench/api_sweep.py does for the
API. Finds the page that reads a whole table before a worker's phone does.

    python -m bench.page_sweep [--samples N]      (bench/run.sh runs it after the API)

Prints `PAGE name=<route>[?query]:<caller> p50_ms= p95_ms= queries= slowest_ms=` for each caller
answered 200, and a `MISSED` line for each median over the API's target (150 ms) and for each
page no caller was answered 200 that is not a form's POST target (every signed-in caller
answered 405, the public being sent to sign in: nothing to open).
"""

import argparse
import sys

from bench.admin_sweep import reported
from bench.api_sweep import bench_rows, filled_path, searches, timed_callers
from bench.django_process import freeze_like_the_server, setup_django

# Not pages of the site: the API and the back office have sweeps of their own; the rest are
# the language switch, the sign-out and the icon. (The API's schema and its docs page are swept.)
SKIPPED_PREFIXES = ("api/v1/", "admin/", "i18n/", "accounts/logout/", "favicon.ico")

# The routes that take an id, and which of the bench's rows they are opened with. A form's POST
# target answers GET with 405 whatever the id: it is given none of the bench's rows.
POST_ONLY = {"pk": 0}
ROUTE_ARGUMENTS = {
    "stations/<int:pk>/": lambda rows: {"pk": rows["station"]},
    "stations/<int:pk>/check-in/": lambda rows: {"pk": rows["station"]},
    "stations/<int:pk>/poster/": lambda rows: {"pk": rows["station"]},
    "stations/<int:pk>/rate/": lambda rows: POST_ONLY,
    "stations/sessions/<int:pk>/book/": lambda rows: POST_ONLY,
    "stations/bookings/<int:pk>/cancel/": lambda rows: POST_ONLY,
    "coupons/batches/<int:pk>/claim/": lambda rows: POST_ONLY,
    "aid/claims/<int:pk>/": lambda rows: {"pk": rows["claim"]},
    "aid/claims/<int:pk>/documents/": lambda rows: POST_ONLY,
    "aid/claims/<int:pk>/resubmit/": lambda rows: POST_ONLY,
    "convalescence/sessions/<int:pk>/": lambda rows: {"pk": rows["session"]},
    "convalescence/sessions/<int:pk>/roster/": lambda rows: {"pk": rows["session"]},
    "convalescence/nominations/<int:pk>/confirm/": lambda rows: POST_ONLY,
    "convalescence/nominations/<int:pk>/decline/": lambda rows: POST_ONLY,
}
# Searches worth their own line: the station map as phones open it.
QUERIES = {
    "stations/": ["lat={lat}&lng={lng}", "lat={lat}&lng={lng}&open_now=1", "q=驿站"],
}


def get_routes() -> list[str]:
    """The site's page routes (all but SKIPPED_PREFIXES)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                routes.append(route)

    walk(get_resolver().url_patterns, "")
    return routes


def path_of(route: str, rows: dict) -> str:
    return filled_path(route, ROUTE_ARGUMENTS[route](rows) if "<" in route else {})


def signed_in_askers(users: dict) -> dict:
    """Per caller, a test client for each of its users, signed in with a session as a phone's
    browser is (bench.api_sweep.timed_callers' askers)."""
    from django.test import Client

    askers = {}
    for caller, them in users.items():
        askers[caller] = []
        for user in them:
            client = Client(HTTP_HOST="127.0.0.1")
            if user is not None:
                client.force_login(user)
            askers[caller].append((client, {}))
    return askers


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args(argv)
    setup_django()
    rows = bench_rows()
    lat, lng = rows["near"].split(",")
    askers = signed_in_askers(rows["users"])
    freeze_like_the_server()
    missed = []
    for route in get_routes():
        path = path_of(route, rows)
        for url, name in searches(route, path, [q.format(lat=lat, lng=lng) for q in QUERIES.get(route, [])]):
            statuses = timed_callers("PAGE", name, url, askers, args.samples, missed)
            if any(200 in answered for answered in statuses.values()):
                continue
            signed_in = set().union(*(answered for caller, answered in statuses.items() if caller != "public"))
            if signed_in != {405}:
                missed.append(f"page {name}: no caller was answered 200 ({sorted(signed_in)})")
    return reported(missed)


if __name__ == "__main__":
    sys.exit(main())
