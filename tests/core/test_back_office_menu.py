"""The back office's menu: Django's order, and its sidebar rendered once per menu."""

import re

import pytest
from django.contrib import admin
from django.core.cache import caches
from django.test import RequestFactory
from django.utils import translation

from members.models import StaffAssignment
from unionportal.core.admin_site import BackOfficeSite
from tests.factories import make_staff, make_tree

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_kept_fragments():
    caches["fragments"].clear()
    yield
    caches["fragments"].clear()


def sidebar(client, path: str) -> str:
    response = client.get(path, secure=True)
    assert response.status_code == 200
    return re.search(r'<nav class="sticky" id="nav-sidebar".*?</nav>', response.content.decode(), re.S).group(0)


def test_the_site_is_the_back_office():
    assert isinstance(admin.site, BackOfficeSite)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_menu_keeps_djangos_order(language):
    request = RequestFactory().get("/admin/")
    request.user = make_staff(make_tree()["city"], is_superuser=True)
    with translation.override(language):
        ours = admin.site.get_app_list(request)
        djangos = admin.AdminSite.get_app_list(admin.site, request)
        assert [(a["app_label"], [m["object_name"] for m in a["models"]]) for a in ours] == \
            [(a["app_label"], [m["object_name"] for m in a["models"]]) for a in djangos]
        assert len(ours) > 3


def test_sidebar_is_kept_per_menu_and_page(client):
    tree = make_tree()
    client.force_login(make_staff(tree["city"]))
    members = sidebar(client, "/admin/members/member/")
    assert 'class="model-member current-model"' in members and "addlink" in members
    assert sidebar(client, "/admin/members/member/?status__exact=pending") == members  # kept, the same
    organizations = sidebar(client, "/admin/members/organization/")
    assert 'class="model-organization current-model"' in organizations and organizations != members
    caches["fragments"].clear()
    assert sidebar(client, "/admin/members/member/") == members  # as rendered afresh

    viewer = make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER)
    client.force_login(viewer)
    viewed = sidebar(client, "/admin/members/member/")
    assert viewed != members and 'class="model-member current-model"' in viewed

    client.cookies["django_language"] = "en"
    english = sidebar(client, "/admin/members/member/")
    assert english != viewed and "Members" in english
