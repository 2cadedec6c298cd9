import pytest
from rest_framework.test import APIClient

from members.models import StaffAssignment
from unionportal.core.services import api_key_issue, api_token_issue

from ..factories import make_member, make_staff, make_tree, make_user


def client_for(user=None, key=None):
    client = APIClient()
    if user is not None:
        from datetime import timedelta

        raw, _token = api_token_issue(user=user, lifetime=timedelta(hours=1))
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    elif key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def world(db):
    """The test tree with one person of every kind the permission table names."""
    tree = make_tree()
    people = {
        "anonymous": None,
        "member": make_member(tree["enterprise_a"]).user,
        "enterprise_staff": make_staff(tree["enterprise_a"], name="企业干部"),
        "street_staff": make_staff(tree["street_a"], role=StaffAssignment.Role.REVIEWER, name="街道审核员"),
        "district_a_staff": make_staff(tree["district_a"], name="甲区干部"),
        "district_b_staff": make_staff(tree["district_b"], name="乙区干部"),
        "city_staff": make_staff(tree["city"], name="市总干部"),
        "no_assignment_staff": make_user(is_staff=True),
    }
    return {"tree": tree, "people": people}


@pytest.fixture
def partner_key(db):
    raw, _key = api_key_issue(name="电影院", scopes=["members:verify"])
    return raw
