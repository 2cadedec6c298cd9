"""The token lookup loads the member's phone and ID number sealed: decrypted only when read."""

from datetime import timedelta

import pytest

from members.models import Member
from unionportal.core.pii import Sealed
from unionportal.core.services import api_token_issue, hash_secret
from unionportal.core.token_lookup import token_find

from ..factories import make_member, make_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return make_member(make_tree()["enterprise_a"])


def _looked_up(member):
    raw, _token = api_token_issue(user=member.user, lifetime=timedelta(hours=1))
    return token_find(hash_secret(raw))


def test_the_token_lookup_leaves_personal_data_sealed_until_read(member):
    token = _looked_up(member)
    loaded = token.user.member
    assert type(token.user.__dict__["phone"]) is Sealed
    assert type(loaded.__dict__["id_number"]) is Sealed
    assert "<sealed>" == repr(loaded.__dict__["id_number"])  # never the ciphertext or the number

    assert loaded.id_number == member.id_number and token.user.phone == member.user.phone
    assert loaded.__dict__["id_number"] == member.id_number  # decrypted once, then kept
    assert loaded.masked_id_number == member.masked_id_number


def test_a_sealed_instance_saves_its_clear_values_encrypted_again(member):
    loaded = _looked_up(member).user.member
    loaded.name = "改名会员"
    loaded.save()  # a full save reads every field: the sealed one is decrypted and encrypted again
    again = Member.objects.get(pk=member.pk)
    assert again.id_number == member.id_number and again.name == "改名会员"


def test_other_queries_still_answer_clear_values(member):
    assert Member.objects.values_list("id_number", flat=True).get(pk=member.pk) == member.id_number
    assert Member.objects.get(pk=member.pk).__dict__["id_number"] == member.id_number
