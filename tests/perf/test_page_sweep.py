"""bench.page_sweep reaches every page of the site outside the API and the back office (its
timings run on the bench's data)."""

from bench.page_sweep import POST_ONLY, ROUTE_ARGUMENTS, get_routes, path_of


def test_the_sweep_knows_how_to_open_every_page():
    routes = get_routes()
    assert {"", "join/", "stations/", "stations/<int:pk>/", "coupons/mine/", "aid/claims/<int:pk>/"} <= set(routes)
    assert {"api/schema/", "api/docs/"} <= set(routes)  # what partner developers read
    assert not [route for route in routes if route.startswith(("api/v1/", "admin/"))]  # swept on their own
    # A new page that takes an id must say which row the sweep opens it with.
    assert {route for route in routes if "<" in route} == set(ROUTE_ARGUMENTS)


def test_a_page_is_opened_with_its_rows_id_and_a_forms_target_with_none():
    rows = {"station": 7, "claim": 3, "session": 5}
    assert path_of("stations/<int:pk>/", rows) == "/stations/7/"
    assert path_of("convalescence/sessions/<int:pk>/roster/", rows) == "/convalescence/sessions/5/roster/"
    assert path_of("stations/<int:pk>/rate/", rows) == f"/stations/{POST_ONLY['pk']}/rate/"
