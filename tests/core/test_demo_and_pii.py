import hashlib
import subprocess
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from members.models import Member, Organization, StaffAssignment, User, id_number_hash, phone_hash
from unionportal.core.pii import mask_id_number, mask_phone

from ..factories import make_member, make_tree

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_makes_the_fixed_logins(demo):
    counts = (Organization.objects.count(), User.objects.count(), Member.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Organization.objects.count(), User.objects.count(), Member.objects.count()) == counts
    districts = set(Organization.objects.get_children(demo).values_list("name", flat=True))
    assert {"鲤城区总工会", "丰泽区总工会", "晋江市总工会", "台商投资区总工会"} <= districts
    admin = User.objects.get_by_phone("13900000001")
    assert admin.check_password("union-demo-2026") and admin.is_superuser
    reviewer = StaffAssignment.objects.get(user=User.objects.get_by_phone("13900000004"))
    assert reviewer.role == "reviewer" and Organization.objects.get_parent(reviewer.organization).name == "鲤城区总工会"
    members = Member.objects.filter(organization__name="泉州鲤中纺织有限公司工会", status="active")
    assert members.count() == 9


def test_phone_and_id_number_are_stored_only_encrypted(demo):
    member = Member.objects.select_related("user").first()
    with connection.cursor() as cursor:
        cursor.execute("select phone from members_user where id = %s", [member.user_id])
        stored_phone = cursor.fetchone()[0]
        cursor.execute("select id_number from members_member where id = %s", [member.pk])
        stored_id = cursor.fetchone()[0]
    assert member.user.phone not in stored_phone and member.id_number not in stored_id
    assert len(member.id_number) == 18 and member.user.phone.startswith("139")


@pytest.mark.django_db(transaction=True)  # committed rows: pg_dump sees only those
def test_pg_dump_holds_no_phone_or_id_number_in_clear(demo):
    db = settings.DATABASES["default"]
    dump = subprocess.run(
        ["pg_dump", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], "--data-only", connection.settings_dict["NAME"]],
        capture_output=True, text=True, check=True,
    ).stdout
    assert Member.objects.count() > 9 and Member.objects.first().id_number_hash in dump  # the demo is in it
    assert "13900000011" not in dump
    for member in Member.objects.all():
        assert member.id_number not in dump
        assert member.user.phone not in dump


def test_masks():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("35050219900517123X") == "350502********123X"


def test_search_hashes_need_the_key(settings):
    """Mainland mobile numbers are few enough to hash them all: without the key a dump's
    hash columns must not match anything an attacker can compute."""
    member = make_member(make_tree()["enterprise_a"])
    phone, id_number = member.user.phone, member.id_number
    with connection.cursor() as cursor:
        cursor.execute("select phone_hash from members_user where id = %s", [member.user_id])
        stored_phone_hash = cursor.fetchone()[0]
        cursor.execute("select id_number_hash from members_member where id = %s", [member.pk])
        stored_id_hash = cursor.fetchone()[0]
    assert User.objects.get_by_phone(phone) == member.user  # exact search works through the hash
    for stored, purpose, value in ((stored_phone_hash, "phone", phone), (stored_id_hash, "id_number", id_number)):
        unkeyed = {hashlib.sha256(text.encode()).hexdigest() for text in (value, f"{purpose}:{value}")}
        assert stored not in unkeyed
    settings.PII_HASH_KEY = "another-hash-key"
    assert phone_hash(phone) != stored_phone_hash and id_number_hash(id_number) != stored_id_hash
