import pytest

from members.models import StaffAssignment

from ..factories import make_member, make_staff, make_tree
from .builders import make_plan


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "public"


@pytest.fixture
def tree(db):
    return make_tree()


@pytest.fixture
def plan(tree):
    return make_plan(tree["city"])


@pytest.fixture
def member(tree):
    return make_member(tree["enterprise_a"])


@pytest.fixture
def reviewer(tree):
    return make_staff(tree["district_a"], role=StaffAssignment.Role.REVIEWER)


@pytest.fixture
def enrolled(member, plan):
    from benefits import aid_services

    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX2026001", actor=member.user)
    return member
