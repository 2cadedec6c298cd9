"""Every GET endpoint of the API at city scale, as those who call it: the public, a member (of
three bench members, the one with the most to show there), the city's staff and a district's.
Each answer is opened a few times in-process and its slowest query named, as the back office's
lists are by bench/admin_sweep.py. Finds the endpoint that reads a whole table before a phone
does.

    python -m bench.api_sweep [--samples N]      (bench/run.sh runs it after the back office)

Prints `API name=<route>[?query]:<caller> p50_ms= p95_ms= queries= slowest_ms=` for each caller
answered 200, and a `MISSED` line for each median over TARGET_MS and for each endpoint no
caller was answered 200 (the sweep no longer reaches it).
"""

import argparse
import re
import sys
from datetime import timedelta


from bench.admin_sweep import reported, timed_answers
from bench.django_process import freeze_like_the_server, setup_django

TARGET_MS = 150  # as for the back office's lists: a page a phone or a partner waits for
API_PREFIX = "api/v1/"
CITY_ADMIN, DISTRICT_ADMIN = "13900000001", "13900000002"
CALLERS = ("public", "member", "city", "district")

# The routes that take an id, and which of the bench's rows they are opened with.
ROUTE_ARGUMENTS = {
    "stations/<int:pk>/": lambda rows: {"pk": rows["station"]},
    "aid-claims/<int:pk>/": lambda rows: {"pk": rows["claim"]},
    "aid-claims/<int:pk>/documents/<int:document_id>/": lambda rows: {
        "pk": rows["document_claim"], "document_id": rows["document"]},
    "coupon-batches/<int:pk>/stats/": lambda rows: {"pk": rows["batch"]},
    "convalescence/sessions/<int:pk>/": lambda rows: {"pk": rows["session"]},
    "convalescence/nominations/<int:pk>/": lambda rows: {"pk": rows["nomination"]},
    "members/<int:pk>/": lambda rows: {"pk": rows["member"]},
}
# Searches worth their own line: the filters phones and staff use most.
QUERIES = {
    "stations/": ["near={near}&open_now=true", "near={near}&radius_m=3000", "q=驿站"],
    "stations/geojson/": ["bbox={viewport}"],
    "members/": ["status=pending", "q=陈建华"],
    "aid-claims/": ["status=submitted"],
    "convalescence/nominations/": ["status=nominated"],
}


def get_routes() -> list[str]:
    """The API's routes (below API_PREFIX) whose view answers GET."""
    from django.urls import URLPattern, URLResolver, get_resolver

    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith(API_PREFIX):
                view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
                if view is not None and hasattr(view, "get"):
                    routes.append(route.removeprefix(API_PREFIX))

    walk(get_resolver().url_patterns, "")
    return routes


def path_of(route: str, rows: dict) -> str:
    return filled_path(API_PREFIX + route, ROUTE_ARGUMENTS[route](rows) if "<" in route else {})


def filled_path(route: str, arguments: dict) -> str:
    """`route` as a path, each `<converter:name>` replaced by `arguments[name]`."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(arguments[match.group(1)]), route)


def searches(route: str, path: str, queries: list[str]) -> list[tuple[str, str]]:
    """(url, line name) of the route's path alone and with each of its queries."""
    return [(path, route)] + [(f"{path}?{query}", f"{route}?{query}") for query in queries]


def _body(response) -> bytes:
    """The answer's bytes, a file's (streamed) too."""
    if not response.streaming:
        return response.content
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


def bench_rows() -> dict:
    """The bench's rows the sweep opens, and its callers (`users`: a list of users per caller,
    None for the public). Also read by bench/page_sweep.py."""
    from bench.generate import BENCH_CARD_PREFIX
    from benefits.models import AidClaim, AidClaimDocument, Coupon, CouponBatch
    from convalescence.models import Nomination
    from members.models import Member, User
    from stations.models import Station

    district = User.objects.get_by_phone(DISTRICT_ADMIN)
    district_path = district.staff_assignment.organization.path  # 鲤城区, the demo's district
    # Members of the district, so that its staff may open them too.
    in_district = Member.objects.filter(card_number__startswith=BENCH_CARD_PREFIX,
                                        organization__path__startswith=district_path)
    claim = AidClaim.objects.filter(member__in=in_district).order_by("-pk").first()
    document = AidClaimDocument.objects.filter(claim__organization__path__startswith=district_path).order_by("-pk").first()
    nomination = Nomination.objects.filter(member__in=in_district).order_by("-pk").first()
    holder = Coupon.objects.order_by("-pk").first().member
    station = Station.objects.filter(is_active=True).order_by("-pk").first()
    batch = CouponBatch.objects.order_by("-pk").first()
    lat, lng = station.location.y, station.location.x
    return {
        "station": station.pk, "near": f"{lat:.6f},{lng:.6f}",
        "viewport": f"{lng - 0.03:.6f},{lat - 0.02:.6f},{lng + 0.03:.6f},{lat + 0.02:.6f}",  # a phone's map
        "claim": claim.pk, "document_claim": document.claim_id, "document": document.pk, "batch": batch.pk,
        "session": nomination.session_id, "nomination": nomination.pk,
        "member": nomination.member_id,
        "users": {
            "public": [None], "member": [holder.user, claim.member.user, nomination.member.user],
            "city": [User.objects.get_by_phone(CITY_ADMIN)], "district": [district],
        },
    }


def bearer_tokens(users: dict) -> dict:
    """Each caller's users as `Authorization` values (None for the public)."""
    from unionportal.core.services import api_token_issue

    def token(user):
        raw, _token = api_token_issue(user=user, lifetime=timedelta(hours=1))
        return f"Bearer {raw}"

    return {caller: [token(user) if user else None for user in them] for caller, them in users.items()}


def timed_callers(label: str, name: str, url: str, askers: dict, samples: int, missed: list) -> dict:
    """Open `url` as each caller of CALLERS, in turn, until the public is answered (a public answer
    is the same for whoever asks); time it as each caller answered 200, as the one of the caller's
    askers (client, headers) answered most, and print a `<label> name=<name>:<caller>` line. A
    median over TARGET_MS is added to `missed`. Returns every caller's statuses, by caller."""
    statuses = {}
    for caller in CALLERS:
        if 200 in statuses.get("public", ()):
            break
        answers = [(client.get(url, secure=True, **headers), client, headers) for client, headers in askers[caller]]
        statuses[caller] = {response.status_code for response, _client, _headers in answers}
        sizes = [(len(_body(response)), client, headers) for response, client, headers in answers
                 if response.status_code == 200]
        if not sizes:
            continue
        _size, client, headers = max(sizes, key=lambda size: size[0])
        p50, p95, queries, slowest = timed_answers(client, url, samples, each=_body, **headers)
        print(f"{label} name={name}:{caller} p50_ms={p50:.1f} p95_ms={p95:.1f} "
              f"queries={queries} slowest_ms={slowest:.1f}", flush=True)
        if p50 > TARGET_MS:
            missed.append(f"{label.lower()} {name}:{caller}: p50 {p50:.1f} ms > {TARGET_MS} ms")
    return statuses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args(argv)
    setup_django()
    from django.test import Client

    rows = bench_rows()
    client = Client(HTTP_HOST="127.0.0.1")
    askers = {caller: [(client, {"HTTP_AUTHORIZATION": token} if token else {}) for token in tokens]
              for caller, tokens in bearer_tokens(rows["users"]).items()}
    freeze_like_the_server()
    missed = []
    for route in get_routes():
        path = path_of(route, rows)
        for url, name in searches(route, path, [q.format(**rows) for q in QUERIES.get(route, [])]):
            statuses = timed_callers("API", name, url, askers, args.samples, missed)
            if not any(200 in answered for answered in statuses.values()):
                missed.append(f"api {name}: no caller was answered 200")
    return reported(missed)


if __name__ == "__main__":
    sys.exit(main())
