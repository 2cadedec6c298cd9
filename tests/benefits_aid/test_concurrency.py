"""Two claims of one member approved at the same moment: the member-year lock keeps the year right."""

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from benefits import aid_services
from benefits.models import AidClaim, MemberAidYear
from members.models import StaffAssignment

from ..factories import make_member, make_staff, make_tree
from .builders import add_document, file_claim, make_plan


def _approve_together(claim_ids, reviewers):
    barrier = threading.Barrier(len(claim_ids))
    errors = []

    def approve(claim_id, reviewer):
        try:
            barrier.wait(timeout=10)
            aid_services.aid_claim_approve(claim_id=claim_id, actor=reviewer)
        except Exception as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(claim_ids, reviewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_claims_of_one_member_approved_at_once_share_deductible_and_cap(round_):
    tree = make_tree()
    plan = make_plan(tree["city"])
    member = make_member(tree["enterprise_a"])
    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX", actor=member.user)
    first = file_claim(member, total_cost=D("300000"), insurance_paid=D("50000"), self_paid=D("250000"))
    second = file_claim(member, total_cost=D("1200000"), insurance_paid=D("200000"), self_paid=D("1000000"))
    for claim in (first, second):
        add_document(claim)
    reviewers = [make_staff(tree["district_a"], role=StaffAssignment.Role.REVIEWER) for _ in range(2)]

    errors = _approve_together([first.pk, second.pk], reviewers)

    assert errors == []
    payouts = sorted(AidClaim.objects.filter(member=member).values_list("payout", flat=True))
    year = MemberAidYear.objects.get(member=member, plan=plan)
    assert sum(payouts) == D("1000000.00") == year.aid_paid  # the cap, not 155,550 + 950,000
    assert year.deductible_used == D("1000.00")  # the deductible taken once
    assert year.base_used == D("1249000.00")
    # Whichever came first, the rule of the worked example holds for that order.
    assert payouts in ([D("155550.00"), D("844450.00")], [D("131950.00"), D("868050.00")])


@pytest.mark.django_db(transaction=True)
def test_one_claim_approved_twice_at_once_counts_once():
    tree = make_tree()
    plan = make_plan(tree["city"])
    member = make_member(tree["enterprise_a"])
    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX", actor=member.user)
    claim = file_claim(member, total_cost=D("20000"), insurance_paid=D("9000"), self_paid=D("11000"))
    add_document(claim)
    reviewers = [make_staff(tree["district_a"], role=StaffAssignment.Role.REVIEWER) for _ in range(2)]

    errors = _approve_together([claim.pk, claim.pk], reviewers)

    assert [error.code for error in errors] == ["claim_not_open"]
    assert MemberAidYear.objects.get(member=member).aid_paid == D("3000.00")


@pytest.mark.django_db(transaction=True)
def test_the_same_invoice_filed_twice_at_once_is_claimed_once():
    from benefits.models import AidClaimInvoice
    from unionportal.core.errors import DomainError

    tree = make_tree()
    plan = make_plan(tree["city"])
    members = [make_member(tree["enterprise_a"]) for _ in range(2)]
    for member in members:
        aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX", actor=member.user)
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(member):
        try:
            barrier.wait(timeout=10)
            file_claim(member, invoice_numbers=["FP-SAME-1"])
            outcomes.append("filed")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["filed", "invoice_already_claimed"]
    assert AidClaimInvoice.objects.filter(invoice_number="FP-SAME-1").count() == 1
    assert AidClaim.objects.count() == 1  # the loser's claim row was rolled back with its invoices
