"""The masked phone and ID number are kept beside the ciphertext, so that showing a member
decrypts nothing; every way a phone or ID number changes keeps them in step."""

import importlib

import pytest
from django.apps import apps as installed_apps
from django.db import connection

from members import services
from members.models import Member, User
from unionportal.core.pii import mask_id_number, mask_phone

from ..factories import make_member, make_tree, make_user
from .conftest import client_for

pytestmark = pytest.mark.django_db


def stored(model, pk, column) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_new_users_and_members_keep_their_masks():
    member = make_member(make_tree()["enterprise_a"])
    member = Member.objects.select_related("user").get(pk=member.pk)
    assert stored(User, member.user_id, "phone_masked") == mask_phone(member.user.phone)
    assert stored(Member, member.pk, "id_number_masked") == mask_id_number(member.id_number)
    assert stored(User, member.user_id, "phone_masked").count("*") == 4
    assert stored(Member, member.pk, "id_number_masked").count("*") == 8


def test_a_changed_phone_is_masked_anew():
    user = make_user(phone="13812345678")
    services.member_phone_change(user=user, password="a-good-password-1", new_phone="13987654321")
    assert stored(User, user.pk, "phone_masked") == "139****4321"


def test_a_phone_set_directly_is_masked_on_save():
    user = make_user(phone="13812345678")
    user.phone = "13700001111"
    user.save(update_fields=["phone"])
    assert stored(User, user.pk, "phone_masked") == "137****1111"


def test_an_erased_member_keeps_no_mask():
    member = make_member(make_tree()["enterprise_a"])
    services.member_erase(user=member.user, password="a-good-password-1")
    assert stored(User, member.user_id, "phone_masked") == ""
    assert stored(Member, member.pk, "id_number_masked") == ""


def test_the_profile_is_shown_without_decrypting():
    member = make_member(make_tree()["enterprise_a"], user=make_user(phone="13812345678", name="张三"))
    client, id_number_shown = client_for(member.user), mask_id_number(member.id_number)
    # Ciphertext no key opens: the answer can only come from the stored masks.
    User.objects.filter(pk=member.user_id).update(phone="not-a-fernet-token")
    Member.objects.filter(pk=member.pk).update(id_number="not-a-fernet-token")
    body = client.get("/api/v1/me/").json()
    assert body["phone"] == "138****5678"
    assert body["id_number"] == id_number_shown


def test_the_migration_fills_the_masks_of_existing_rows():
    union = make_tree()["enterprise_a"]
    members = [make_member(union) for _ in range(3)]
    User.objects.update(phone_masked="")
    Member.objects.update(id_number_masked="")
    migration = importlib.import_module("members.migrations.0004_masked_phone_and_id_number")
    with connection.schema_editor() as editor:
        migration.fill_masks(installed_apps, editor)
    for member in Member.objects.select_related("user").filter(pk__in=[m.pk for m in members]):
        assert member.user.phone_masked == mask_phone(member.user.phone)
        assert member.id_number_masked == mask_id_number(member.id_number)
