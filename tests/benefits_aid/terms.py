"""Guangxi-like terms used across the aid tests (the demo plan uses the same figures)."""

from decimal import Decimal as D

from benefits.aid_rules import AccidentTerms, AidTerms, MajorIllnessTerms, Segment

SEGMENTS_DATA = [
    {"up_to": "10000.00", "rate": "0.30"},
    {"up_to": "50000.00", "rate": "0.40"},
    {"up_to": "200000.00", "rate": "0.60"},
    {"up_to": None, "rate": "0.95"},
]
MAJOR_ILLNESS_DATA = {
    "threshold": "60000.00",
    "segments": [
        {"up_to": "100000.00", "rate": "0.20"},
        {"up_to": "200000.00", "rate": "0.30"},
        {"up_to": None, "rate": "0.40"},
    ],
    "max_per_year": "50000.00",
}
ACCIDENT_DATA = {"rate": "0.50", "max_per_claim": "20000.00"}

GUANGXI = AidTerms(
    deductible_per_year=D("1000"),
    segments=(Segment(D("10000"), D("0.30")), Segment(D("50000"), D("0.40")), Segment(D("200000"), D("0.60")),
              Segment(None, D("0.95"))),
    minimum_payout=D("100"),
    yearly_cap=D("1000000"),
    allowance_per_day=D("50"),
    allowance_max=D("500"),
    accident=AccidentTerms(D("0.50"), D("20000")),
    major_illness=MajorIllnessTerms(
        D("60000"), (Segment(D("100000"), D("0.20")), Segment(D("200000"), D("0.30")), Segment(None, D("0.40"))),
        D("50000"),
    ),
)
