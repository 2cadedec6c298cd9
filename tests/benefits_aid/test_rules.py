"""The payout rule as a table: no database, no clock."""

from dataclasses import FrozenInstanceError, replace
from datetime import date
from decimal import Decimal as D
from itertools import permutations

import pytest

from benefits.aid_rules import (
    AidClaimFacts, AidKind, accident_terms_errors, aid_payout, major_illness_terms_errors,
    segments_errors, segments_from_data, stay_days,
)
from unionportal.core.money import money_round

from .terms import ACCIDENT_DATA, GUANGXI, MAJOR_ILLNESS_DATA, SEGMENTS_DATA

H = AidKind.HOSPITALISATION

# (case, self_paid, days, D, B0, A) → (amount, d, b)
HOSPITALISATION_CASES = [
    ("worked example, first stay", "250000", 10, "0", "0", "0", "155550.00", "1000", "249000"),
    ("worked example, second stay capped", "1000000", 20, "1000", "249000", "155550", "844450.00", "0", "1000000"),
    ("zero self-paid earns the allowance", "0", 4, "0", "0", "0", "200.00", "0", "0"),
    ("allowance below the minimum is raised", "0", 1, "0", "0", "0", "100.00", "0", "0"),
    ("stay inside the deductible: allowance", "600", 3, "0", "0", "0", "150.00", "600", "0"),
    ("allowance maximum", "999.99", 30, "0", "0", "0", "500.00", "999.99", "0"),
    ("deductible already used up, allowance not needed", "500", 3, "1000", "0", "0", "150.00", "0", "500"),
    ("exactly the deductible", "1000", 2, "0", "0", "0", "100.00", "1000", "0"),
    ("minimum raise", "1200", 2, "0", "0", "0", "100.00", "1000", "200"),
    ("first segment boundary", "11000", 5, "0", "0", "0", "3000.00", "1000", "10000"),
    ("one cent into the second segment", "11000.01", 5, "0", "0", "0", "3000.00", "1000", "10000.01"),
    ("second segment boundary", "51000", 5, "0", "0", "0", "19000.00", "1000", "50000"),
    ("third segment boundary", "201000", 5, "0", "0", "0", "109000.00", "1000", "200000"),
    ("into the open segment", "201100", 5, "0", "0", "0", "109095.00", "1000", "200100"),
    ("half up, once, at the end", "1333.35", 2, "0", "0", "0", "100.01", "1000", "333.35"),
    ("deductible spanning two claims", "5000", 2, "600", "0", "150", "1380.00", "400", "4600"),
    ("earlier base continues the scale", "10000", 2, "1000", "5000", "1500", "3500.00", "0", "10000"),
    ("cap reached within one claim", "2000000", 30, "0", "0", "0", "1000000.00", "1000", "1999000"),
    ("cap already reached", "50000", 5, "1000", "300000", "1000000", "0.00", "0", "50000"),
    ("cap room below the minimum", "1200", 2, "0", "0", "999950", "50.00", "1000", "200"),
]


@pytest.mark.parametrize(
    "self_paid,days,used,base_used,paid,amount,deductible,base",
    [case[1:] for case in HOSPITALISATION_CASES], ids=[case[0] for case in HOSPITALISATION_CASES],
)
def test_hospitalisation_payout_table(self_paid, days, used, base_used, paid, amount, deductible, base):
    facts = AidClaimFacts(H, D(self_paid), days, D(used), D(base_used), D(paid))
    payout = aid_payout(facts, GUANGXI)
    assert payout.amount == D(amount)
    assert str(payout.amount) == amount  # two places, always
    assert payout.deductible_used == D(deductible)
    assert payout.base == D(base)
    assert payout.steps[-1].code == "total" and payout.steps[-1].amount == payout.amount


def test_worked_example_breakdown_shows_every_step():
    payout = aid_payout(AidClaimFacts(H, D("250000"), 10), GUANGXI)
    assert payout.breakdown() == [
        {"step": "deductible", "amount": "1000.00", "base": "250000.00", "upper": "1000.00", "lower": "0.00"},
        {"step": "segment", "amount": "3000.00", "base": "10000.00", "rate": "0.30", "lower": "0.00",
         "upper": "10000.00"},
        {"step": "segment", "amount": "16000.00", "base": "40000.00", "rate": "0.40", "lower": "10000.00",
         "upper": "50000.00"},
        {"step": "segment", "amount": "90000.00", "base": "150000.00", "rate": "0.60", "lower": "50000.00",
         "upper": "200000.00"},
        {"step": "segment", "amount": "46550.00", "base": "49000.00", "rate": "0.95", "lower": "200000.00"},
        {"step": "total", "amount": "155550.00"},
    ]
    second = aid_payout(AidClaimFacts(H, D("1000000"), 20, D("1000"), D("249000"), D("155550")), GUANGXI)
    assert [step["step"] for step in second.breakdown()] == ["deductible", "segment", "cap", "total"]
    assert second.breakdown()[2] == {
        "step": "cap", "amount": "844450.00", "base": "950000.00", "lower": "155550.00", "upper": "1000000.00",
    }


def _approve_in_order(amounts, terms=GUANGXI):
    """Approve hospitalisation claims one after another, carrying the year's counters."""
    used = base_used = paid = D("0")
    for self_paid in amounts:
        payout = aid_payout(AidClaimFacts(H, D(self_paid), 3, used, base_used, paid), terms)
        used += payout.deductible_used
        base_used += payout.base
        paid += payout.amount
    return used, base_used, paid


def test_guangxi_two_stays_pay_exactly_the_cap_in_either_order():
    for order in (["250000", "1000000"], ["1000000", "250000"]):
        used, base_used, paid = _approve_in_order(order)
        assert (used, base_used, paid) == (D("1000"), D("1249000"), D("1000000.00"))


@pytest.mark.parametrize("claims", [
    ["5000", "20000", "70000"],
    ["1500.50", "12345.60", "250000", "3000"],
    ["250000", "1000000", "30000"],
])
def test_approval_order_does_not_change_the_years_total(claims):
    totals = {_approve_in_order(order) for order in permutations(claims)}
    assert len(totals) == 1


def test_with_odd_cents_each_claim_is_rounded_once_so_orders_differ_by_at_most_a_cent_per_claim():
    claims = ["1500.55", "12345.67", "250000", "3000"]
    paid = {_approve_in_order(order)[2] for order in permutations(claims)}
    assert max(paid) - min(paid) <= D("0.01") * (len(claims) - 1)
    assert {_approve_in_order(order)[:2] for order in permutations(claims)} == {(D("1000"), D("265846.22"))}


def test_accident_benefit_has_its_own_terms_and_counts_toward_the_cap():
    assert aid_payout(AidClaimFacts(AidKind.ACCIDENT, D("10000"), 1), GUANGXI).amount == D("5000.00")
    assert aid_payout(AidClaimFacts(AidKind.ACCIDENT, D("100000"), 1), GUANGXI).amount == D("20000.00")
    assert aid_payout(AidClaimFacts(AidKind.ACCIDENT, D("100"), 1), GUANGXI).amount == D("100.00")  # minimum
    near_cap = aid_payout(AidClaimFacts(AidKind.ACCIDENT, D("10000"), 1, paid_this_year=D("998000")), GUANGXI)
    assert near_cap.amount == D("2000.00")
    assert near_cap.deductible_used == 0 and near_cap.base == 0


@pytest.mark.parametrize("self_paid,spent,relief_paid,paid,amount", [
    ("50000", "0", "0", "0", "0.00"),          # below the threshold: nothing
    ("80000", "0", "0", "0", "4000.00"),       # 20,000 over the threshold at 20 %
    ("30000", "50000", "0", "0", "4000.00"),   # earlier spending counts toward the threshold
    ("200000", "80000", "4000", "4000", "46000.00"),  # 66,000 tiered, limited to the 50,000 a year
    ("10000", "300000", "50000", "50000", "0.00"),  # relief maximum used up
    ("500000", "0", "0", "990000", "10000.00"),  # the plan's yearly cap still applies
])
def test_major_illness_relief(self_paid, spent, relief_paid, paid, amount):
    facts = AidClaimFacts(AidKind.MAJOR_ILLNESS, D(self_paid), 1, paid_this_year=D(paid),
                          major_illness_spending_used=D(spent), major_illness_paid=D(relief_paid))
    payout = aid_payout(facts, GUANGXI)
    assert payout.amount == D(amount)
    assert payout.major_illness_spending == D(self_paid)
    assert payout.major_illness_relief == payout.amount


def test_results_are_frozen_and_negative_amounts_refused():
    payout = aid_payout(AidClaimFacts(H, D("1200"), 1), GUANGXI)
    with pytest.raises(FrozenInstanceError):
        payout.amount = D("1")
    with pytest.raises(ValueError):
        aid_payout(AidClaimFacts(H, D("-1"), 1), GUANGXI)


@pytest.mark.parametrize("admitted,discharged,days", [
    (date(2026, 3, 1), date(2026, 3, 1), 1), (date(2026, 3, 1), date(2026, 3, 2), 1),
    (date(2026, 12, 30), date(2027, 1, 4), 5),
])
def test_stay_days(admitted, discharged, days):
    assert stay_days(admitted, discharged) == days


def test_money_round_is_half_up_and_decimal_only():
    assert money_round(D("0.005")) == D("0.01")
    assert money_round(D("2.345")) == D("2.35")
    assert money_round(D("2.344999")) == D("2.34")
    with pytest.raises(TypeError):
        money_round(0.1)


def test_terms_data_round_trip():
    assert segments_errors(SEGMENTS_DATA) == []
    assert segments_from_data(SEGMENTS_DATA) == GUANGXI.segments
    assert accident_terms_errors(ACCIDENT_DATA) == []
    assert major_illness_terms_errors(MAJOR_ILLNESS_DATA) == []


@pytest.mark.parametrize("data,fragment", [
    ([], "at least one"),
    ([{"up_to": "100", "rate": "0.3"}], "last segment"),
    ([{"up_to": None, "rate": "0.3"}, {"up_to": None, "rate": "0.4"}], "Only the last"),
    ([{"up_to": "100", "rate": "0.3"}, {"up_to": "50", "rate": "0.4"}, {"up_to": None, "rate": "1"}], "increase"),
    ([{"up_to": None, "rate": "1.5"}], "between 0 and 1"),
    ([{"up_to": None, "rate": "abc"}], "must be a number"),
    ([{"up_to": None}], "exactly"),
    ("30%", "at least one"),
])
def test_bad_segments_are_explained(data, fragment):
    from django.utils import translation

    with translation.override("en"):
        errors = segments_errors(data)
    assert any(fragment in error for error in errors), errors


def test_bad_major_illness_terms_are_explained():
    from django.utils import translation

    bad = replace_dict(MAJOR_ILLNESS_DATA, segments=[{"up_to": "50000", "rate": "0.2"}, {"up_to": None, "rate": "0.3"}])
    with translation.override("en"):
        assert "start above the threshold" in " ".join(major_illness_terms_errors(bad))
        assert accident_terms_errors({"rate": "2", "max_per_claim": "1"}) == ["The accident rate must be between 0 and 1."]


def replace_dict(data, **changes):
    return {**data, **changes}


def test_facts_are_plain_values():
    facts = AidClaimFacts(H, D("1"), 1)
    assert replace(facts, self_paid=D("2")).self_paid == D("2")
