"""A member's enrolments, claims, aid years and nominations keep the member's union, and the
database keeps it true: on every write, through every transfer, and under a transfer racing
a write (members.union_follows_member)."""

import threading

import pytest
from django.db import connection, transaction

from benefits import aid_services
from benefits.models import AidClaim, AidEnrolment, MemberAidYear
from convalescence import services as convalescence_services
from convalescence.models import Nomination
from members import services
from members.models import Member
from members.scoping import scope_queryset
from tests.benefits_aid.builders import file_claim, make_plan
from tests.convalescence.builders import NOW, make_base, make_program, make_session

from ..factories import make_member, make_staff, make_tree

MODELS = (AidEnrolment, AidClaim, MemberAidYear, Nomination)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def rows_of(member):
    """Each model's rows for the member, with the union each row holds."""
    return {model.__name__: set(model.objects.filter(member=member).values_list("organization_id", flat=True))
            for model in MODELS}


def everything_for(member, tree):
    """An enrolment, a claim, an aid year and a nomination, written as the portal writes them."""
    plan = make_plan(tree["city"])
    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX2026001", actor=member.user)
    file_claim(member)
    MemberAidYear.objects.create(member=member, plan=plan)  # no union given: the database fills it
    city_staff = make_staff(tree["city"])
    session = make_session(city_staff, make_program(make_base(tree["city"])), tree["city"])
    convalescence_services.nomination_create(actor=city_staff, session=session, member=member, now=NOW)


@pytest.mark.django_db
def test_the_rows_carry_the_members_union_and_move_with_the_member():
    tree = make_tree()
    member = make_member(tree["enterprise_a"])
    everything_for(member, tree)
    assert rows_of(member) == {model.__name__: {tree["enterprise_a"].pk} for model in MODELS}

    services.member_transfer(actor=make_staff(tree["city"]), member=member, to_organization=tree["enterprise_b"])

    assert rows_of(member) == {model.__name__: {tree["enterprise_b"].pk} for model in MODELS}
    district_a, district_b = make_staff(tree["district_a"]), make_staff(tree["district_b"])
    for model in MODELS:
        assert not scope_queryset(model.objects.all(), district_a).exists(), model
        assert scope_queryset(model.objects.all(), district_b).count() == 1, model


@pytest.mark.django_db
def test_no_code_path_can_put_a_row_in_another_union():
    tree = make_tree()
    member = make_member(tree["enterprise_a"])
    everything_for(member, tree)
    for model in MODELS:  # written straight at the table: the database puts the member's union back
        model.objects.filter(member=member).update(organization=tree["enterprise_b"])
    assert rows_of(member) == {model.__name__: {tree["enterprise_a"].pk} for model in MODELS}
    # A member moved without the transfer service still takes their rows along.
    Member.objects.filter(pk=member.pk).update(organization=tree["enterprise_b"])
    assert rows_of(member) == {model.__name__: {tree["enterprise_b"].pk} for model in MODELS}


@pytest.mark.django_db(transaction=True)
def test_an_enrolment_written_while_its_member_moves_lands_in_the_new_union():
    tree = make_tree()
    member = make_member(tree["enterprise_a"])
    plan = make_plan(tree["city"])
    moved, done = threading.Event(), threading.Event()

    def transfer():
        try:
            with transaction.atomic():
                Member.objects.filter(pk=member.pk).update(organization=tree["enterprise_b"])
                moved.set()
                # The enrolment is written now, against the member row this transaction holds.
                done.wait(timeout=1)
        finally:
            connection.close()

    mover = threading.Thread(target=transfer)
    mover.start()
    assert moved.wait(timeout=10)
    writer_finished = threading.Event()

    def enrol():
        try:
            aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX2026002",
                                              actor=member.user)
            writer_finished.set()
        finally:
            connection.close()

    writer = threading.Thread(target=enrol)
    writer.start()
    # The write waits for the move to commit rather than reading the union it is leaving.
    assert not writer_finished.wait(timeout=0.5)
    done.set()
    mover.join()
    writer.join()
    assert writer_finished.is_set()
    assert rows_of(member)["AidEnrolment"] == {tree["enterprise_b"].pk}
