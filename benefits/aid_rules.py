"""Medical mutual aid: the payout rule, as a pure function of plain values.

No ORM, no clock, no settings. The service loads the facts (under a lock on the member's
year), calls `aid_payout`, and stores the amount and the steps that reached it.

The rule for a hospitalisation claim
------------------------------------
Member M, plan P, a claim with self-paid amount S (at most total cost − insurance paid).
M's approved claims under P so far give: deductible already used D, segment base already
used B0 (the sum of earlier claims' bases) and aid already paid A.

1. ``d = min(S, max(0, deductible_per_year − D))``: the deductible this claim uses. The
   deductible is per member and year, cumulative across all stays (not per stay).
2. ``b = S − d``: this claim's base.
3. Segments are progressive over the member's cumulative base for the year, like tax
   brackets: ``aid = tiered(B0 + b) − tiered(B0)``. ``tiered(x)`` sums, for each segment
   (lower, up_to, rate), ``rate × (min(x, up_to) − lower)`` for the part of x inside it.
   Because only the year's cumulative base matters, the order in which claims are
   approved does not change the year's total. (Each claim is rounded on its own in step
   7, so with odd cents two orders may differ by at most one cent per claim.)
4. If ``b = 0`` (the stay did not pass the deductible) the stay earns the hospitalisation
   allowance instead: ``min(days × allowance_per_day, allowance_max)``, where days is
   discharged_on − admitted_on, at least 1.
5. If ``0 < aid < minimum_payout`` the aid is raised to the minimum.
6. ``aid = min(aid, yearly_cap − A)``, never below 0.
7. Rounded to 0.01 CNY, half up, once, at the end.

Worked example (Guangxi-like terms: deductible 1,000; 30 % to 10,000, 40 % to 50,000,
60 % to 200,000, 95 % above; cap 1,000,000). One member, two stays, 1.25 M self-paid:

- first claim S = 250,000: d = 1,000, b = 249,000;
  aid = 30 % × 10,000 + 40 % × 40,000 + 60 % × 150,000 + 95 % × 49,000
      = 3,000 + 16,000 + 90,000 + 46,550 = 155,550.00
- second claim S = 1,000,000: d = 0 (the deductible was taken once), b = 1,000,000;
  tiered aid = 95 % × 1,000,000 = 950,000, capped at 1,000,000 − 155,550 = 844,450.00.
- the year's total is exactly 1,000,000.00.

A small stay: S = 600 with nothing used yet → d = 600, b = 0, so the allowance applies:
3 days × 50 = 150 (allowance_max 500) → 150.00. A stay with S = 1,200 → d = 1,000,
b = 200, aid = 30 % × 200 = 60, raised to the minimum 100.00.

Accident injury
---------------
An accident claim pays ``min(S × accident.rate, accident.max_per_claim)``; it uses no
deductible and no segment base, then the minimum raise and the yearly cap apply as above.
Its aid counts toward A.

Major-illness relief (Tianjin)
------------------------------
Where a member's own spending in the year after all insurance exceeds the threshold
(60,000), the excess earns tiered relief, up to a yearly maximum (50,000). The claim's S
is the own spending it documents; O0 is the own spending already counted this year and
R the relief already paid. Segments run from the threshold upwards exactly as in step 3:
``relief = tiered(O0 + S) − tiered(O0)`` (the part below the threshold is in a 0 % band),
then ``min(relief, max_per_year − R)``, then the yearly cap of the plan (it counts toward
A). No minimum raise: relief below the threshold is simply 0.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from unionportal.core.money import money_round

ZERO = Decimal("0")


class AidKind:
    HOSPITALISATION = "hospitalisation"
    ACCIDENT = "accident"
    MAJOR_ILLNESS = "major_illness"


@dataclass(frozen=True)
class Segment:
    """One band of the progressive scale: applies up to `up_to` (None: no upper end)."""

    up_to: Decimal | None
    rate: Decimal


@dataclass(frozen=True)
class AccidentTerms:
    rate: Decimal = ZERO
    max_per_claim: Decimal = ZERO


@dataclass(frozen=True)
class MajorIllnessTerms:
    threshold: Decimal = ZERO
    segments: tuple[Segment, ...] = ()
    max_per_year: Decimal = ZERO


@dataclass(frozen=True)
class AidTerms:
    deductible_per_year: Decimal
    segments: tuple[Segment, ...]
    minimum_payout: Decimal
    yearly_cap: Decimal
    allowance_per_day: Decimal
    allowance_max: Decimal
    accident: AccidentTerms = field(default_factory=AccidentTerms)
    major_illness: MajorIllnessTerms = field(default_factory=MajorIllnessTerms)


@dataclass(frozen=True)
class AidClaimFacts:
    """One claim and the member's approved year so far (read under the member-year lock)."""

    kind: str
    self_paid: Decimal
    days: int
    deductible_used: Decimal = ZERO  # D
    base_used: Decimal = ZERO  # B0
    paid_this_year: Decimal = ZERO  # A
    major_illness_spending_used: Decimal = ZERO  # O0
    major_illness_paid: Decimal = ZERO  # R


@dataclass(frozen=True)
class PayoutStep:
    """One line of the breakdown. `code` names the step; the numbers are exact (unrounded)."""

    code: str
    amount: Decimal
    base: Decimal | None = None
    rate: Decimal | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None

    def as_dict(self) -> dict:
        data = {"step": self.code, "amount": _text(self.amount)}
        for name in ("base", "rate", "lower", "upper"):
            value = getattr(self, name)
            if value is not None:
                data[name] = _text(value)
        return data


@dataclass(frozen=True)
class Payout:
    """What a claim pays and how: `amount` is rounded; the year's counters move by the deltas."""

    amount: Decimal
    deductible_used: Decimal  # d, added to D
    base: Decimal  # b, added to B0
    major_illness_spending: Decimal  # added to O0
    major_illness_relief: Decimal  # added to R
    steps: tuple[PayoutStep, ...]

    def breakdown(self) -> list[dict]:
        return [step.as_dict() for step in self.steps]


def _text(value: Decimal) -> str:
    # Plain notation, no exponent, trailing zeros kept to two places at least.
    text = format(value.normalize(), "f")
    if "." not in text:
        return text + ".00"
    whole, fraction = text.split(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _tiered(amount: Decimal, segments: tuple[Segment, ...], start: Decimal = ZERO) -> list[tuple]:
    """The parts of `amount` inside each band that starts at or above `start`.

    Returns (lower, upper, rate, part) per band, part possibly 0.
    """
    parts = []
    lower = start
    for segment in segments:
        upper = segment.up_to
        top = amount if upper is None else min(amount, upper)
        parts.append((lower, upper, segment.rate, max(ZERO, top - lower)))
        if upper is None:
            break
        lower = upper
    return parts


def tiered_total(amount: Decimal, segments: tuple[Segment, ...], start: Decimal = ZERO) -> Decimal:
    return sum((rate * part for _lower, _upper, rate, part in _tiered(amount, segments, start)), ZERO)


def _segment_steps(before: Decimal, after: Decimal, segments, start=ZERO) -> tuple[Decimal, list[PayoutStep]]:
    """Aid for moving the cumulative base from `before` to `after`, one step per band touched."""
    steps = []
    total = ZERO
    parts_before = _tiered(before, segments, start)
    parts_after = _tiered(after, segments, start)
    for (lower, upper, rate, part_before), (_l, _u, _r, part_after) in zip(parts_before, parts_after):
        base = part_after - part_before
        if base > 0:
            amount = rate * base
            total += amount
            steps.append(PayoutStep("segment", amount, base=base, rate=rate, lower=lower, upper=upper))
    return total, steps


def stay_days(admitted_on: date, discharged_on: date) -> int:
    """Days of a stay for the allowance: nights in hospital, at least 1."""
    return max(1, (discharged_on - admitted_on).days)


def _finish(aid: Decimal, facts: AidClaimFacts, terms: AidTerms, steps: list, *, minimum: bool) -> Decimal:
    """Steps 5 to 7: minimum raise, yearly cap, one rounding."""
    if minimum and ZERO < aid < terms.minimum_payout:
        steps.append(PayoutStep("minimum", terms.minimum_payout, base=aid))
        aid = terms.minimum_payout
    room = max(ZERO, terms.yearly_cap - facts.paid_this_year)
    if aid > room:
        steps.append(PayoutStep("cap", room, base=aid, upper=terms.yearly_cap, lower=facts.paid_this_year))
        aid = room
    rounded = money_round(aid)
    steps.append(PayoutStep("total", rounded))
    return rounded


def _hospitalisation(facts: AidClaimFacts, terms: AidTerms) -> Payout:
    steps = []
    deductible_left = max(ZERO, terms.deductible_per_year - facts.deductible_used)
    used = min(facts.self_paid, deductible_left)
    steps.append(PayoutStep("deductible", used, base=facts.self_paid, upper=terms.deductible_per_year,
                            lower=facts.deductible_used))
    base = facts.self_paid - used
    if base > 0:
        aid, segment_steps = _segment_steps(facts.base_used, facts.base_used + base, terms.segments)
        steps.extend(segment_steps)
    else:
        aid = min(facts.days * terms.allowance_per_day, terms.allowance_max)
        steps.append(PayoutStep("allowance", aid, base=Decimal(facts.days), rate=terms.allowance_per_day,
                                upper=terms.allowance_max))
    amount = _finish(aid, facts, terms, steps, minimum=True)
    return Payout(amount, used, base, ZERO, ZERO, tuple(steps))


def _accident(facts: AidClaimFacts, terms: AidTerms) -> Payout:
    rules = terms.accident
    aid = min(facts.self_paid * rules.rate, rules.max_per_claim)
    steps = [PayoutStep("accident", aid, base=facts.self_paid, rate=rules.rate, upper=rules.max_per_claim)]
    amount = _finish(aid, facts, terms, steps, minimum=True)
    return Payout(amount, ZERO, ZERO, ZERO, ZERO, tuple(steps))


def _major_illness(facts: AidClaimFacts, terms: AidTerms) -> Payout:
    rules = terms.major_illness
    before = facts.major_illness_spending_used
    after = before + facts.self_paid
    steps = [PayoutStep("threshold", rules.threshold, base=after)]
    bands = (Segment(rules.threshold, ZERO),) + rules.segments
    relief, segment_steps = _segment_steps(before, after, bands)
    steps.extend(segment_steps)
    room = max(ZERO, rules.max_per_year - facts.major_illness_paid)
    if relief > room:
        steps.append(PayoutStep("relief_max", room, base=relief, upper=rules.max_per_year,
                                lower=facts.major_illness_paid))
        relief = room
    amount = _finish(relief, facts, terms, steps, minimum=False)
    return Payout(amount, ZERO, ZERO, facts.self_paid, amount, tuple(steps))


_BY_KIND = {
    AidKind.HOSPITALISATION: _hospitalisation,
    AidKind.ACCIDENT: _accident,
    AidKind.MAJOR_ILLNESS: _major_illness,
}


def aid_payout(facts: AidClaimFacts, terms: AidTerms) -> Payout:
    """The payout of one claim given the member's approved year so far (see the module doc)."""
    if facts.self_paid < 0:
        raise ValueError("self_paid must not be negative")
    return _BY_KIND[facts.kind](facts, terms)


# --- Terms as data --------------------------------------------------------------------------
# Plans keep their scale as JSON: [{"up_to": "10000.00", "rate": "0.30"}, …, {"up_to": null, "rate": "0.95"}].

def _decimal(value, errors: list, label) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        errors.append(_("%(label)s must be a number.") % {"label": label})
        return None
    if not number.is_finite():
        errors.append(_("%(label)s must be a number.") % {"label": label})
        return None
    return number


def segments_errors(data, *, open_ended: bool = True) -> list[str]:
    """Why a JSON scale is not valid (empty list: it is). Messages are translated."""
    if not isinstance(data, list) or not data:
        return [str(_("Give at least one segment."))]
    errors = []
    previous = ZERO
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict) or set(item) - {"up_to", "rate"} or "rate" not in item or "up_to" not in item:
            errors.append(_("Segment %(n)s needs exactly “up_to” and “rate”.") % {"n": index})
            continue
        rate = _decimal(item["rate"], errors, _("The rate of segment %(n)s") % {"n": index})
        if rate is not None and not (ZERO <= rate <= 1):
            errors.append(_("The rate of segment %(n)s must be between 0 and 1.") % {"n": index})
        last = index == len(data)
        if item["up_to"] is None:
            if not last:
                errors.append(_("Only the last segment may have no upper limit."))
            continue
        up_to = _decimal(item["up_to"], errors, _("The upper limit of segment %(n)s") % {"n": index})
        if up_to is not None:
            if up_to <= previous:
                errors.append(_("Segment upper limits must increase (segment %(n)s).") % {"n": index})
            else:
                previous = up_to
        if last and open_ended:
            errors.append(_("The last segment must have no upper limit (“up_to”: null)."))
    return [str(error) for error in errors]


def segments_from_data(data) -> tuple[Segment, ...]:
    """A validated JSON scale as Segment values (call segments_errors first)."""
    return tuple(
        Segment(None if item["up_to"] is None else Decimal(str(item["up_to"])), Decimal(str(item["rate"])))
        for item in data
    )


def segments_to_data(segments: tuple[Segment, ...]) -> list[dict]:
    return [
        {"up_to": None if s.up_to is None else str(money_round(s.up_to)), "rate": _text(s.rate)} for s in segments
    ]


ACCIDENT_KEYS = {"rate", "max_per_claim"}
MAJOR_ILLNESS_KEYS = {"threshold", "segments", "max_per_year"}


def accident_terms_errors(data) -> list[str]:
    if data in (None, {}):
        return []
    if not isinstance(data, dict) or set(data) != ACCIDENT_KEYS:
        return [str(_("Accident terms need “rate” and “max_per_claim”."))]
    errors = []
    rate = _decimal(data["rate"], errors, _("The accident rate"))
    if rate is not None and not (ZERO <= rate <= 1):
        errors.append(_("The accident rate must be between 0 and 1."))
    maximum = _decimal(data["max_per_claim"], errors, _("The accident maximum per claim"))
    if maximum is not None and maximum < 0:
        errors.append(_("The accident maximum per claim must not be negative."))
    return [str(error) for error in errors]


def major_illness_terms_errors(data) -> list[str]:
    if data in (None, {}):
        return []
    if not isinstance(data, dict) or set(data) != MAJOR_ILLNESS_KEYS:
        return [str(_("Major-illness terms need “threshold”, “segments” and “max_per_year”."))]
    errors = []
    threshold = _decimal(data["threshold"], errors, _("The major-illness threshold"))
    maximum = _decimal(data["max_per_year"], errors, _("The major-illness maximum per year"))
    if threshold is not None and threshold < 0 or maximum is not None and maximum < 0:
        errors.append(_("Major-illness amounts must not be negative."))
    errors.extend(segments_errors(data["segments"]))
    if threshold is not None and not errors:
        first = data["segments"][0]["up_to"]
        if first is not None and Decimal(str(first)) <= threshold:
            errors.append(_("Major-illness segments start above the threshold."))
    return [str(error) for error in errors]


def accident_terms_from_data(data) -> AccidentTerms:
    if not data:
        return AccidentTerms()
    return AccidentTerms(Decimal(str(data["rate"])), Decimal(str(data["max_per_claim"])))


def major_illness_terms_from_data(data) -> MajorIllnessTerms:
    if not data:
        return MajorIllnessTerms()
    return MajorIllnessTerms(
        Decimal(str(data["threshold"])), segments_from_data(data["segments"]), Decimal(str(data["max_per_year"])),
    )
