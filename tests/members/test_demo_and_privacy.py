"""Demo data at scale, the database dump without clear personal data, key rotation, masking."""

import re
import subprocess
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from members.demo import BULK_MEMBERS
from members.models import Member, Organization, User
from unionportal.core.pii import decrypt

from .conftest import client_for

pytestmark = pytest.mark.django_db

# Not inside hashes or ciphertext (hex, url-safe base64): a clear number stands alone.
_APART_BEFORE, _APART_AFTER = r"(?<![0-9A-Za-z_=-])", r"(?![0-9A-Za-z_=-])"
FULL_ID = re.compile(_APART_BEFORE + r"\d{6}(19|20)\d{2}(0[1-9]|1[0-2])\d{2}\d{3}[\dX]" + _APART_AFTER)
FULL_PHONE = re.compile(_APART_BEFORE + r"1[3-9]\d{9}" + _APART_AFTER)


def test_demo_has_thousands_of_members_across_the_tree_and_stays_idempotent(demo):
    assert Member.objects.count() >= BULK_MEMBERS
    unions_with_members = Organization.objects.filter(members__isnull=False).distinct().count()
    assert unions_with_members >= 60
    districts = {org.ancestor_names[1] for org in Organization.objects.filter(members__isnull=False).distinct()}
    assert len(districts) == 12
    assert Member.objects.filter(status="pending", organization__path__startswith=Organization.objects.get(
        name="鲤中街道总工会").path).exists()
    # Every screen and export shows the masked copies: none is missing, the crowd's included.
    assert not User.objects.filter(phone_masked="").exclude(phone="").exists()
    assert not Member.objects.filter(id_number_masked="").exclude(id_number="").exists()
    counts = (User.objects.count(), Member.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (User.objects.count(), Member.objects.count()) == counts


@pytest.mark.django_db(transaction=True)
def test_pg_dump_with_demo_members_holds_no_id_or_mobile_number(demo):
    # Committed data (a transactional test), or pg_dump, in its own session, would see none.
    db = settings.DATABASES["default"]
    dump = subprocess.run(
        ["pg_dump", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], "--data-only",
         connection.settings_dict["NAME"]],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "members_member" in dump and len(dump) > 100_000
    people = list(Member.objects.select_related("user"))
    assert len(people) >= BULK_MEMBERS
    for member in people:
        assert member.id_number not in dump and member.user.phone not in dump
    assert not FULL_ID.search(dump), FULL_ID.search(dump).group(0)
    assert not FULL_PHONE.search(dump), FULL_PHONE.search(dump).group(0)


def test_pii_rotate_re_encrypts_with_the_newest_key(demo, settings):
    from cryptography.fernet import Fernet

    member = Member.objects.select_related("user").order_by("pk").first()
    old_key = settings.PII_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.PII_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("pii_rotate", stdout=out)
    assert "re-encrypted" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("select id_number from members_member where id = %s", [member.pk])
        stored_id = cursor.fetchone()[0]
        cursor.execute("select phone from members_user where id = %s", [member.user_id])
        stored_phone = cursor.fetchone()[0]
    settings.PII_ENCRYPTION_KEYS = [new_key]  # the old key can now be retired
    assert decrypt(stored_id) == member.id_number and decrypt(stored_phone) == member.user.phone
    fresh = Member.objects.select_related("user").get(pk=member.pk)
    assert fresh.id_number == member.id_number and fresh.user.phone == member.user.phone


def _walk_every_members_response(demo, partner_key):
    from members import services

    city_admin = User.objects.get_by_phone("13900000001")
    street = User.objects.get_by_phone("13900000004")
    member = User.objects.get_by_phone("13900000011").member
    staff = client_for(street)
    yield client_for().get("/api/v1/organizations/", {"q": "鲤城"})
    yield client_for(member.user).get("/api/v1/me/")
    yield staff.get("/api/v1/members/")
    yield staff.get("/api/v1/members/", {"status": "pending"})
    yield client_for(city_admin).get("/api/v1/members/", {"q": member.id_number})
    yield staff.get(f"/api/v1/members/{member.pk}/")
    pending = Member.objects.filter(status="pending", organization__path__startswith=street.staff_assignment.organization.path).first()
    yield staff.post(f"/api/v1/members/{pending.pk}/verify/")
    another = Member.objects.filter(status="pending", organization__path__startswith=street.staff_assignment.organization.path).first()
    yield staff.post(f"/api/v1/members/{another.pk}/reject/", {"reason": "材料不全"}, format="json")
    yield client_for(key=partner_key).post("/api/v1/members/verify-card/", {"token": services.card_token_issue(member)},
                                           format="json")
    from .builders import application

    yield client_for().post("/api/v1/members/register/", application(Organization.objects.get(
        name="泉州鲤中纺织有限公司工会")), format="json")


def test_no_members_api_response_shows_a_full_id_or_mobile_number(demo, partner_key):
    seen = 0
    for response in _walk_every_members_response(demo, partner_key):
        assert response.status_code in (200, 201), response.content[:300]
        text = response.content.decode()
        assert not FULL_ID.search(text), (response.wsgi_request.path, FULL_ID.search(text).group(0))
        assert not FULL_PHONE.search(text), (response.wsgi_request.path, FULL_PHONE.search(text).group(0))
        seen += 1
    assert seen == 10
