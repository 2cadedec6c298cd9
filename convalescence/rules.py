"""Pure rules of convalescence: who may go, who goes first, and what a session costs.

No ORM, no clock, no settings: the services load the facts and pass `today` in.

Eligibility (each rule can be switched per program kind in PROGRAM_RULES):
- the model workers' harbour (劳模港) is only for model workers, and lasts at most 7 days;
- a member takes at most one trip per calendar year (the year of the trip's first day);
- a multi-day trip outside the province is not repeated within 3 years (counted between
  first days, so a trip on 2023-05-01 blocks another until 2026-04-30);
- no member is in two sessions whose dates overlap.
Priority (a score shown to staff, highest first): front-line workers, technical workers,
model workers (more for a higher honour), long-serving members, and hardship files.
Subsidy: attendees × days × the rate in force on the session's first day, per paying
level; each line rounded once, half up, to 0.01 CNY.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from unionportal.core.money import money_round



def money(amount) -> Decimal:
    """An amount (int or Decimal) as money, through the project's one rounding helper."""
    return money_round(Decimal(amount))


# Days a program of each kind may last (the same bounds as the database check).
PROGRAM_DAYS = {
    "one_day": (1, 1),
    "multi_day": (2, 7),
    "team_building": (1, 3),
    "model_workers_harbour": (1, 7),
}


@dataclass(frozen=True)
class PriorityWeights:
    frontline: int = 30
    technical: int = 20
    model_worker: dict = field(default_factory=lambda: {"national": 40, "provincial": 35, "city": 30, "county": 25})
    per_year_of_membership: int = 2
    membership_cap: int = 20
    hardship: int = 10


@dataclass(frozen=True)
class ProgramRules:
    one_trip_per_year: bool = True
    model_workers_only: bool = False
    max_days: int = 7
    out_of_province_repeat_years: int = 3
    weights: PriorityWeights = field(default_factory=PriorityWeights)


PROGRAM_RULES = {
    "one_day": ProgramRules(max_days=1),
    "multi_day": ProgramRules(max_days=7),
    # Team building is a whole workshop's day out: it does not use up the member's yearly trip.
    "team_building": ProgramRules(one_trip_per_year=False, max_days=3),
    "model_workers_harbour": ProgramRules(
        model_workers_only=True, max_days=7,
        weights=PriorityWeights(model_worker={"national": 60, "provincial": 50, "city": 40, "county": 30}),
    ),
}


@dataclass(frozen=True)
class MemberFacts:
    is_frontline: bool
    is_technical: bool
    model_worker_level: str  # "" when not a model worker
    has_hardship_file: bool
    member_since: date


@dataclass(frozen=True)
class TripFacts:
    """A session (the one applied for) or one of the member's other trips."""

    program_kind: str
    starts_on: date
    ends_on: date
    is_out_of_province: bool = False

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    reasons: tuple  # readable reasons (lazy translations) why not

    def __bool__(self):
        return self.eligible


@dataclass(frozen=True)
class Priority:
    score: int
    reasons: tuple  # (code, points) pairs, shown to staff


def years_between(earlier: date, later: date) -> int:
    """Whole years from `earlier` to `later` (birthday arithmetic; 29 Feb counts on 28 Feb)."""
    years = later.year - earlier.year
    if (later.month, later.day) < (earlier.month, earlier.day):
        years -= 1
    return max(0, years)


def nomination_priority(member: MemberFacts, program_kind: str, today: date) -> Priority:
    weights = PROGRAM_RULES[program_kind].weights
    reasons = []
    if member.is_frontline:
        reasons.append(("frontline", weights.frontline))
    if member.is_technical:
        reasons.append(("technical", weights.technical))
    if member.model_worker_level:
        reasons.append(("model_worker", weights.model_worker.get(member.model_worker_level, 0)))
    years = years_between(member.member_since, today)
    if years:
        reasons.append(("membership_years", min(weights.membership_cap, years * weights.per_year_of_membership)))
    if member.has_hardship_file:
        reasons.append(("hardship", weights.hardship))
    return Priority(score=sum(points for _code, points in reasons), reasons=tuple(reasons))


PRIORITY_REASON_LABELS = {
    "frontline": _("front-line worker"),
    "technical": _("technical worker"),
    "model_worker": _("model worker"),
    "membership_years": _("years of membership"),
    "hardship": _("hardship file"),
}


def _overlaps(a: TripFacts, b: TripFacts) -> bool:
    return a.starts_on <= b.ends_on and b.starts_on <= a.ends_on


def nomination_eligibility(member: MemberFacts, session: TripFacts, other_trips: list[TripFacts]) -> Verdict:
    """May this member be nominated for this session, given their other active or past trips?

    `other_trips`: the member's other nominations that still hold or held a place
    (nominated, approved, waiting, confirmed, attended).
    """
    rules = PROGRAM_RULES[session.program_kind]
    reasons = []
    if rules.model_workers_only and not member.model_worker_level:
        reasons.append(_("Only model workers may join the model workers' harbour."))
    if session.days > rules.max_days:
        reasons.append(_("This kind of trip lasts at most %(days)d days.") % {"days": rules.max_days})
    if any(_overlaps(session, trip) for trip in other_trips):
        reasons.append(_("The member already has a trip on these dates."))
    if rules.one_trip_per_year:
        counted = [t for t in other_trips if PROGRAM_RULES[t.program_kind].one_trip_per_year]
        if any(t.starts_on.year == session.starts_on.year for t in counted):
            reasons.append(
                _("The member already has a trip in %(year)d; one trip a year.") % {"year": session.starts_on.year}
            )
    if session.is_out_of_province and session.days > 1 and rules.out_of_province_repeat_years:
        window = rules.out_of_province_repeat_years
        for trip in other_trips:
            if trip.is_out_of_province and trip.days > 1 and abs(years_between(
                min(trip.starts_on, session.starts_on), max(trip.starts_on, session.starts_on),
            )) < window:
                reasons.append(
                    _("The member had a multi-day trip outside the province on %(date)s; "
                      "such trips are not repeated within %(years)d years.")
                    % {"date": trip.starts_on.isoformat(), "years": window}
                )
                break
    return Verdict(eligible=not reasons, reasons=tuple(reasons))


@dataclass(frozen=True)
class RateFacts:
    paying_level: str
    amount_per_person_day: Decimal
    valid_from: date
    valid_until: date | None


def rates_in_force(rates: list[RateFacts], on: date) -> dict[str, RateFacts]:
    """The rate of each paying level in force on `on` (periods never overlap)."""
    found = {}
    for rate in rates:
        if rate.valid_from <= on and (rate.valid_until is None or on <= rate.valid_until):
            found[rate.paying_level] = rate
    return found


@dataclass(frozen=True)
class SubsidyLine:
    paying_level: str
    rate: Decimal
    amount: Decimal


def session_subsidy(attendees: int, days: int, rates: dict[str, RateFacts]) -> tuple[SubsidyLine, ...]:
    """attendees × days × rate, one line per paying level, in a fixed order (city first)."""
    lines = []
    for level in sorted(rates, key=lambda lvl: (lvl != "city", lvl)):
        rate = rates[level].amount_per_person_day
        lines.append(SubsidyLine(paying_level=level, rate=money(rate), amount=money(Decimal(attendees) * days * rate)))
    return tuple(lines)


def periods_overlap(a_from: date, a_until: date | None, b_from: date, b_until: date | None) -> bool:
    """Do two inclusive periods overlap? None is an open end."""
    a_end = a_until or date.max
    b_end = b_until or date.max
    return a_from <= b_end and b_from <= a_end
