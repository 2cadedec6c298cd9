"""The rules as tables: no database, no clock."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from convalescence import rules

SINCE = date(2010, 3, 1)


def member(frontline=False, technical=False, model="", hardship=False, since=SINCE):
    return rules.MemberFacts(is_frontline=frontline, is_technical=technical, model_worker_level=model,
                             has_hardship_file=hardship, member_since=since)


def trip(kind, start, end=None, out=False):
    return rules.TripFacts(program_kind=kind, starts_on=start, ends_on=end or start, is_out_of_province=out)


@pytest.mark.parametrize("facts, kind, today, score", [
    (member(since=date(2026, 1, 1)), "multi_day", date(2026, 6, 1), 0),
    (member(frontline=True, since=date(2026, 1, 1)), "multi_day", date(2026, 6, 1), 30),
    (member(frontline=True, technical=True, since=date(2026, 1, 1)), "one_day", date(2026, 6, 1), 50),
    (member(model="national", since=date(2026, 1, 1)), "multi_day", date(2026, 6, 1), 40),
    (member(model="national", since=date(2026, 1, 1)), "model_workers_harbour", date(2026, 6, 1), 60),
    (member(model="county", since=date(2026, 1, 1)), "model_workers_harbour", date(2026, 6, 1), 30),
    # 3 whole years of membership: 6 points; the day before the anniversary: 2 years
    (member(since=date(2023, 6, 1)), "multi_day", date(2026, 6, 1), 6),
    (member(since=date(2023, 6, 2)), "multi_day", date(2026, 6, 1), 4),
    # long service is capped at 20
    (member(since=date(1990, 1, 1)), "multi_day", date(2026, 6, 1), 20),
    (member(frontline=True, technical=True, model="provincial", hardship=True, since=date(1990, 1, 1)),
     "multi_day", date(2026, 6, 1), 30 + 20 + 35 + 20 + 10),
])
def test_priority_score(facts, kind, today, score):
    priority = rules.nomination_priority(facts, kind, today)
    assert priority.score == score
    assert sum(points for _code, points in priority.reasons) == score


# (member, session, other trips, eligible, words in the reason)
ELIGIBILITY = [
    ("plain member, first trip of the year", member(), trip("multi_day", date(2026, 5, 4), date(2026, 5, 8)), [],
     True, ""),
    ("second trip in the same calendar year", member(), trip("one_day", date(2026, 10, 1)),
     [trip("multi_day", date(2026, 5, 4), date(2026, 5, 8))], False, "2026"),
    ("trip last year, one this year (31 Dec vs 1 Jan)", member(), trip("one_day", date(2026, 1, 1)),
     [trip("one_day", date(2025, 12, 31))], True, ""),
    ("team building does not count as the yearly trip", member(), trip("one_day", date(2026, 10, 1)),
     [trip("team_building", date(2026, 3, 1))], True, ""),
    ("team building itself may repeat", member(), trip("team_building", date(2026, 10, 1)),
     [trip("multi_day", date(2026, 3, 1), date(2026, 3, 3))], True, ""),
    ("harbour needs a model worker", member(), trip("model_workers_harbour", date(2026, 5, 4), date(2026, 5, 8)), [],
     False, "model workers"),
    ("harbour for a model worker", member(model="city"), trip("model_workers_harbour", date(2026, 5, 4), date(2026, 5, 8)),
     [], True, ""),
    ("harbour of 8 days is too long", member(model="national"),
     trip("model_workers_harbour", date(2026, 5, 4), date(2026, 5, 11)), [], False, "7"),
    ("overlapping sessions", member(), trip("team_building", date(2026, 5, 8), date(2026, 5, 9)),
     [trip("multi_day", date(2026, 5, 4), date(2026, 5, 8))], False, "these dates"),
    ("back-to-back sessions do not overlap", member(), trip("team_building", date(2026, 5, 9)),
     [trip("multi_day", date(2026, 5, 4), date(2026, 5, 8))], True, ""),
    ("out of province again within 3 years", member(), trip("multi_day", date(2026, 4, 30), date(2026, 5, 4), out=True),
     [trip("multi_day", date(2023, 5, 1), date(2023, 5, 5), out=True)], False, "2023-05-01"),
    ("out of province again after exactly 3 years", member(), trip("multi_day", date(2026, 5, 1), date(2026, 5, 5), out=True),
     [trip("multi_day", date(2023, 5, 1), date(2023, 5, 5), out=True)], True, ""),
    ("in-province multi-day trips may repeat", member(), trip("multi_day", date(2025, 5, 1), date(2025, 5, 5)),
     [trip("multi_day", date(2024, 5, 1), date(2024, 5, 5))], True, ""),
    ("a one-day trip out of province is not limited", member(), trip("one_day", date(2025, 5, 1), out=True),
     [trip("one_day", date(2024, 5, 1), out=True)], True, ""),
]


@pytest.mark.parametrize("title, facts, session, others, eligible, words", ELIGIBILITY, ids=[row[0] for row in ELIGIBILITY])
def test_eligibility(title, facts, session, others, eligible, words):
    verdict = rules.nomination_eligibility(facts, session, others)
    assert bool(verdict) is eligible
    with translation.override("en"):
        text = " ".join(str(reason) for reason in verdict.reasons)
    assert words in text
    assert (text == "") is eligible


def test_several_reasons_are_all_given():
    verdict = rules.nomination_eligibility(
        member(), trip("model_workers_harbour", date(2026, 5, 4), date(2026, 5, 13)),
        [trip("one_day", date(2026, 5, 5))],
    )
    assert len(verdict.reasons) == 4  # not a model worker, too long, overlap, second trip this year


RATES = [
    rules.RateFacts("city", Decimal("450.00"), date(2020, 1, 1), date(2023, 12, 31)),
    rules.RateFacts("city", Decimal("500.00"), date(2024, 1, 1), None),
    rules.RateFacts("county", Decimal("80.00"), date(2024, 1, 1), None),
]


@pytest.mark.parametrize("first_day, attendees, days, expected", [
    (date(2023, 12, 31), 40, 5, {"city": Decimal("90000.00")}),
    (date(2024, 1, 1), 40, 5, {"city": Decimal("100000.00"), "county": Decimal("16000.00")}),
    (date(2019, 12, 31), 40, 5, {}),
    (date(2030, 6, 1), 0, 5, {"city": Decimal("0.00"), "county": Decimal("0.00")}),
])
def test_subsidy_uses_the_rate_in_force_on_the_first_day(first_day, attendees, days, expected):
    lines = rules.session_subsidy(attendees, days, rules.rates_in_force(RATES, first_day))
    assert {line.paying_level: line.amount for line in lines} == expected
    assert [line.paying_level for line in lines] == sorted(expected, key=lambda lvl: lvl != "city")


@pytest.mark.parametrize("value, rounded", [
    (Decimal("0.005"), Decimal("0.01")), (Decimal("2.675"), Decimal("2.68")), (Decimal("-0.005"), Decimal("-0.01")),
    (Decimal("449.994"), Decimal("449.99")), (3, Decimal("3.00")),
])
def test_money_rounds_half_up(value, rounded):
    assert rules.money(value) == rounded


@pytest.mark.parametrize("a, b, overlap", [
    ((date(2020, 1, 1), date(2023, 12, 31)), (date(2024, 1, 1), None), False),
    ((date(2020, 1, 1), date(2024, 1, 1)), (date(2024, 1, 1), None), True),
    ((date(2020, 1, 1), None), (date(2030, 1, 1), date(2030, 2, 1)), True),
])
def test_periods_overlap(a, b, overlap):
    assert rules.periods_overlap(*a, *b) is overlap
    assert rules.periods_overlap(*b, *a) is overlap
