"""bench.admin_sweep opens each model's change list, add form and one row's form, as the staff
member may (its timings run on the bench's data)."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from bench.admin_sweep import pages
from stations.models import Station
from tests.factories import make_staff, make_tree
from tests.stations.builders import make_station

pytestmark = pytest.mark.django_db


def _request_of(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_the_sweep_opens_a_models_list_add_form_and_one_row_the_staff_member_sees():
    tree = make_tree()
    make_station(tree["enterprise_b"], name="乙区驿站")
    ours = make_station(tree["enterprise_a"], name="甲区驿站")
    staff = make_staff(tree["district_a"])
    found = dict(pages(Station, admin.site._registry[Station], _request_of(staff)))
    assert found == {
        "list": "/admin/stations/station/", "add": "/admin/stations/station/add/",
        "form": f"/admin/stations/station/{ours.pk}/change/",  # never the other district's
    }
    client = Client()
    client.force_login(staff)
    assert [client.get(path, secure=True).status_code for path in found.values()] == [200, 200, 200]


def test_a_list_with_no_rows_in_the_tree_has_no_form_to_open():
    tree = make_tree()
    make_station(tree["enterprise_b"])
    staff = make_staff(tree["district_a"])
    assert [kind for kind, _path in pages(Station, admin.site._registry[Station], _request_of(staff))] == ["list", "add"]
