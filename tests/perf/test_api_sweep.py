"""bench.api_sweep reaches every GET endpoint of the API (its timings run on the bench's data)."""

from bench.api_sweep import ROUTE_ARGUMENTS, get_routes, path_of


def test_the_sweep_knows_how_to_open_every_get_endpoint():
    routes = get_routes()
    assert {"me/", "me/coupons/", "stations/", "stations/<int:pk>/", "aid-claims/"} <= set(routes)
    assert "coupons/redeem/" not in routes  # POST only
    # A new endpoint that takes an id must say which row the sweep opens it with.
    assert {route for route in routes if "<" in route} == set(ROUTE_ARGUMENTS)


def test_a_route_is_opened_with_its_rows_ids():
    rows = {"claim": 7, "document_claim": 3, "document": 11}
    assert path_of("aid-claims/<int:pk>/", rows) == "/api/v1/aid-claims/7/"
    assert path_of("aid-claims/<int:pk>/documents/<int:document_id>/", rows) == "/api/v1/aid-claims/3/documents/11/"
    assert path_of("me/coupons/", rows) == "/api/v1/me/coupons/"
