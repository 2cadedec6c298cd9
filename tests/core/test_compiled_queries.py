"""Compiled queries (core.compiled) answer what the ORM answers: the token lookup's instances, the
columns it leaves out, and rows read in PostgreSQL's binary format."""

from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import DecimalField, Value
from django.db.models.signals import post_init
from django.utils import timezone

from members.models import Member, Organization
from unionportal.core.compiled import CompiledRows
from unionportal.core.models import ApiToken
from unionportal.core.pii import Sealed
from unionportal.core.prepared import prepared_statements
from unionportal.core.services import api_token_issue, hash_secret
from unionportal.core.token_lookup import NOT_LOADED, token_find

from ..factories import make_member, make_tree

pytestmark = pytest.mark.django_db

LEFT_AT = datetime(2026, 3, 1, 8, 30, tzinfo=dt_timezone.utc)


@pytest.fixture
def member():
    member = make_member(make_tree()["enterprise_a"], verified_at=timezone.now(), is_frontline=True)
    Member.objects.filter(pk=member.pk).update(left_at=LEFT_AT)  # a column the lookup leaves out
    return member


def _issued(member) -> str:
    raw, _token = api_token_issue(user=member.user, lifetime=timedelta(hours=1))
    return hash_secret(raw)


def _fields(instance) -> dict:
    """An instance's loaded values (sealed ones opened) and its state."""
    values = {
        name: value.token if type(value) is Sealed else value
        for name, value in instance.__dict__.items() if name != "_state"
    }
    return {"values": values, "adding": instance._state.adding, "db": instance._state.db}


def _opened(instance, *names) -> None:
    for name in names:
        getattr(instance, name)  # decrypts a sealed value in place


@pytest.mark.parametrize("prepared", [False, True], ids=["client-bound", "prepared"])
def test_the_token_lookup_builds_the_instances_the_orm_builds(member, prepared):
    token_hash = _issued(member)
    if prepared:
        with prepared_statements():
            found = token_find(token_hash)
    else:
        found = token_find(token_hash)
    expected = ApiToken.objects.select_related("user__member__organization").defer(*NOT_LOADED).get(
        token_hash=token_hash,
    )
    _opened(found.user, "phone")
    _opened(found.user.member, "id_number")
    for path in ("", "user", "user.member", "user.member.organization"):
        built, orm = found, expected
        for step in filter(None, path.split(".")):
            built, orm = getattr(built, step), getattr(orm, step)
        assert _fields(built) == _fields(orm), path
        assert {name: type(value) for name, value in _fields(built)["values"].items()} == {
            name: type(value) for name, value in _fields(orm)["values"].items()
        }, path
    assert found.user.member.organization.ancestor_names == ["测试市总工会", "甲区总工会", "甲街道总工会"]


def test_columns_the_lookup_leaves_out_are_read_when_asked_for(member, django_assert_num_queries):
    found = token_find(_issued(member))
    assert {"left_at", "erased_at"} <= found.user.member.get_deferred_fields()
    with django_assert_num_queries(1):
        assert found.user.member.left_at == LEFT_AT
    with django_assert_num_queries(0):
        assert found.user.member.verified_at == member.verified_at  # loaded with the token


def test_a_model_with_init_receivers_is_built_through_its_init(member):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Organization)
    try:
        found = token_find(_issued(member))
    finally:
        post_init.disconnect(receiver, sender=Organization)
    assert seen == [member.organization_id] and found.user.member.organization.pk == member.organization_id


def _member_rows(binary_rows: bool) -> CompiledRows:
    return CompiledRows(
        lambda member_id: Member.objects.filter(pk=member_id).annotate(
            allowance=Value(Decimal("12.50"), output_field=DecimalField(max_digits=8, decimal_places=2)),
        ).values(
            "id", "name", "birth_date", "joined_at", "verified_at", "left_at", "is_frontline",
            "organization__ancestor_names", "allowance",
        ),
        binary_rows=binary_rows, member_id=-20261124,
    )


def test_rows_read_in_binary_are_the_rows_read_as_text(member):
    formats = []

    def record_format(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        formats.append(context["cursor"].cursor.pgresult.fformat(0))  # 0 text, 1 binary
        return result

    with connection.execute_wrapper(record_format):
        as_text = _member_rows(binary_rows=False).rows("default", 5, member_id=member.pk)
        with prepared_statements():
            in_binary = _member_rows(binary_rows=True).rows("default", 5, member_id=member.pk)
        outside_prepared = _member_rows(binary_rows=True).rows("default", 5, member_id=member.pk)
    assert formats == [0, 1, 0]  # binary only where the statement is bound on the server
    assert in_binary == as_text == outside_prepared
    assert [{name: type(value) for name, value in row.items()} for row in in_binary] == [
        {name: type(value) for name, value in row.items()} for row in as_text
    ]
    row = in_binary[0]
    assert row["left_at"] == LEFT_AT and row["allowance"] == Decimal("12.50") and row["is_frontline"] is True
    assert row["organization__ancestor_names"] == ["测试市总工会", "甲区总工会", "甲街道总工会"]
