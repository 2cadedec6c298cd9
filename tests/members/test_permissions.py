"""One table: who may call which member/organisation endpoint or admin page, and what they get.

Every case starts from the same world; on every denial nothing in the database changed.
"""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from members import services
from members.models import Member, Organization, PersonalDataAccess, StaffAssignment
from unionportal.core.models import AuditLog, Notification

from ..factories import make_member
from .conftest import client_for

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "enterprise_staff", "street_staff", "district_a_staff", "district_b_staff", "city_staff"]

# expected status per role, in ROLES order
STAFF_IN_TREE = [401, 403, 200, 200, 200, 404, 200]
API_TABLE = {
    ("GET", "/api/v1/organizations/"): [200, 200, 200, 200, 200, 200, 200],
    ("GET", "/api/v1/members/consent/"): [200, 200, 200, 200, 200, 200, 200],
    ("GET", "/api/v1/me/"): [401, 200, 403, 403, 403, 403, 403],
    ("GET", "/api/v1/members/"): [401, 403, 200, 200, 200, 200, 200],
    ("GET", "/api/v1/members/{pending}/"): STAFF_IN_TREE,
    ("POST", "/api/v1/members/{pending}/verify/"): STAFF_IN_TREE,
    ("POST", "/api/v1/members/{pending}/reject/"): STAFF_IN_TREE,
    ("POST", "/api/v1/members/verify-card/"): [401, 403, 403, 403, 403, 403, 403],
}
# Admin: 302 for anonymous and members is the login page; 302 for staff outside the tree is
# Django's "does not exist" redirect to the admin index.
ADMIN_TABLE = {
    ("GET", "/admin/members/member/"): [302, 302, 200, 200, 200, 200, 200],
    ("GET", "/admin/members/pendingmember/"): [302, 302, 200, 200, 200, 200, 200],
    ("GET", "/admin/members/member/{pending}/change/"): [302, 302, 200, 200, 200, 302, 200],
    ("POST", "/admin/members/member/{pending}/change/"): [302, 302, 302, 302, 302, 302, 302],
    ("GET", "/admin/members/member/{pending}/history/"): [302, 302, 200, 200, 200, 302, 200],
    ("POST", "/admin/members/member/{pending}/reveal/phone/"): [302, 302, 302, 302, 302, 404, 302],
    ("GET", "/admin/members/member/export/"): [302, 302, 200, 200, 200, 200, 200],
    ("POST", "/admin/members/member/export/"): [302, 302, 302, 302, 302, 302, 302],
    ("GET", "/admin/members/memberexport/"): [302, 302, 200, 200, 200, 200, 200],
    ("GET", "/admin/members/memberbulkaction/"): [302, 302, 200, 200, 200, 200, 200],
    ("GET", "/admin/members/organization/"): [302, 302, 200, 200, 200, 200, 200],
    ("GET", "/admin/members/organization/{enterprise_a}/change/"): [302, 302, 200, 200, 200, 302, 200],
    ("GET", "/admin/members/organization/add/"): [302, 302, 200, 403, 200, 200, 200],
    ("GET", "/admin/members/staffassignment/"): [302, 302, 200, 200, 200, 200, 200],
    ("GET", "/admin/members/user/"): [302, 302, 403, 403, 403, 403, 403],
    ("GET", "/admin/autocomplete/?app_label=members&model_name=staffassignment&field_name=organization&term=甲"):
        [302, 302, 200, 200, 200, 200, 200],
}
# Which of those change something when allowed (so "nothing changed" applies only to denials).
WRITES = {"/verify/", "/reject/", "/change/", "/reveal/", "/export/"}


def snapshot():
    return (
        list(Member.objects.order_by("pk").values_list("pk", "status", "verified_by", "rejection_reason",
                                                          "has_hardship_file", "organization")),
        AuditLog.objects.count(), Notification.objects.count(), PersonalDataAccess.objects.count(),
        list(StaffAssignment.objects.order_by("pk").values_list("pk", "role", "organization")),
    )


def _url(template, world, pending):
    return template.format(pending=pending.pk, enterprise_a=world["tree"]["enterprise_a"].pk)


def _cases(table):
    return [(method, template, role, expected[index])
            for (method, template), expected in table.items() for index, role in enumerate(ROLES)]


@pytest.mark.parametrize("method, template, role, expected", _cases(API_TABLE))
def test_api_permission_table(world, method, template, role, expected):
    pending = make_member(world["tree"]["enterprise_a"], status="pending")
    client = client_for(world["people"][role])
    before = snapshot()
    body = {"reason": "材料不全", "token": services.card_token_issue(pending)}
    response = getattr(client, method.lower())(_url(template, world, pending), body if method == "POST" else None,
                                               format="json")
    assert response.status_code == expected, (role, template, response.content[:300])
    if expected >= 400:
        assert snapshot() == before
        assert "detail" in response.json() and "code" in response.json()
    if expected == 404:
        assert pending.name not in response.content.decode()


@pytest.mark.parametrize("method, template, role, expected", _cases(ADMIN_TABLE))
def test_admin_permission_table(world, method, template, role, expected):
    pending = make_member(world["tree"]["enterprise_a"], status="pending")
    client = Client()
    person = world["people"][role]
    if person is not None:
        client.force_login(person)
    before = snapshot()
    url = _url(template, world, pending)
    if method == "POST":
        data = {"worker_category": "courier", "is_frontline": "on", "model_worker_level": "", "has_hardship_file": "on",
                "transfers-TOTAL_FORMS": "0", "transfers-INITIAL_FORMS": "0"}
        response = client.post(url, data)
    else:
        response = client.get(url)
    assert response.status_code == expected, (role, url, response.status_code)
    changed = snapshot() != before
    allowed_write = method == "POST" and any(part in url for part in WRITES) and role in (
        "enterprise_staff", "street_staff", "district_a_staff", "city_staff")
    if "/reveal/" in url:
        allowed_write = False  # nobody in the table holds the reveal permission
    if "/export/" in url:  # an export of their own tree, which every staff member may ask for
        allowed_write = method == "POST" and role not in ("anonymous", "member")
    assert changed == allowed_write, (role, url)
    if role == "district_b_staff" and expected == 302 and not allowed_write:
        assert response["Location"] == "/admin/"
    if expected == 200 and template in ("/admin/members/member/", "/admin/members/pendingmember/"):
        page = response.content.decode()
        assert (pending.masked_id_number in page) == (role != "district_b_staff")
        assert pending.id_number not in page and pending.user.phone not in page


def test_admin_change_list_shows_only_the_tree(world):
    tree = world["tree"]
    own = make_member(tree["enterprise_a"], user=None)
    other = make_member(tree["enterprise_b"])
    client = Client()
    client.force_login(world["people"]["district_b_staff"])
    page = client.get("/admin/members/member/").content.decode()
    assert other.card_number in page and own.card_number not in page
    autocomplete = client.get("/admin/autocomplete/", {"app_label": "members", "model_name": "staffassignment",
                                                       "field_name": "organization", "term": ""}).json()
    assert {row["text"] for row in autocomplete["results"]} == {"乙区总工会", "乙街道总工会", "乙企业工会"}


def test_admin_permission_checks_refuse_an_object_outside_the_tree(world):
    """The second lock behind the scoped querysets: handed an object from elsewhere (Django's
    delete confirmation checks every cascaded object this way), the permission check says no."""
    tree = world["tree"]
    request = RequestFactory().get("/admin/")
    request.user = world["people"]["district_a_staff"]
    inside, outside = make_member(tree["enterprise_a"]), make_member(tree["enterprise_b"])
    cases = [(admin.site._registry[Member], inside, outside),
             (admin.site._registry[Organization], tree["enterprise_a"], tree["enterprise_b"])]
    for model_admin, own, other in cases:
        for check in (model_admin.has_view_permission, model_admin.has_change_permission):
            assert check(request, own) and not check(request, other), (type(model_admin).__name__, check.__name__)
