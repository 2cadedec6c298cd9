"""Pure station rules: opening hours, map coordinates, health-reading flags, ratings.

No ORM, no clock, no settings: callers pass the local date/time and plain values.

Opening hours
-------------
A station is open at a local date-time (Asia/Shanghai) when:
1. a mobile-station stop on that date covers the time (from inclusive, to exclusive); or
2. the date is not an exception "closed all day", and
   a. the date has an exception with hours, and the time is inside them; or
   b. the date has no exception and the station is open 24 hours; or
   c. the date has no exception and a weekly interval of that weekday covers the time
      (an interval whose closing time is not after its opening time runs past midnight:
      22:00–06:00 covers 22:00–24:00 of its own day); or
   d. the previous day had no exception and its weekly interval runs past midnight and the
      time is before that interval's closing time (the 00:00–06:00 part).
So a closed exception closes the whole calendar day, also the early-morning part of the
night before; an exception with hours replaces only that day's own weekly intervals.
The SQL filter in selectors.py states the same rule; a test checks them against each other.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _


# --- Opening hours ------------------------------------------------------------------------
@dataclass(frozen=True)
class WeeklyInterval:
    weekday: int  # Monday 0 … Sunday 6
    opens_at: time
    closes_at: time

    @property
    def is_overnight(self) -> bool:
        return self.closes_at <= self.opens_at


@dataclass(frozen=True)
class ExceptionDay:
    date: date
    is_closed: bool
    opens_at: time | None = None
    closes_at: time | None = None


@dataclass(frozen=True)
class Stop:
    date: date
    starts_at: time
    ends_at: time
    site_name: str = ""
    lat: float = 0.0
    lng: float = 0.0


@dataclass(frozen=True)
class Schedule:
    is_open_24h: bool = False
    weekly: tuple[WeeklyInterval, ...] = ()
    exceptions: tuple[ExceptionDay, ...] = ()
    stops: tuple[Stop, ...] = field(default=())


def _exception_on(schedule: Schedule, day: date) -> ExceptionDay | None:
    for exception in schedule.exceptions:
        if exception.date == day:
            return exception
    return None


def current_stop(schedule: Schedule, moment: datetime) -> Stop | None:
    """The mobile-station stop that covers the local `moment`, if any."""
    for stop in schedule.stops:
        if stop.date == moment.date() and stop.starts_at <= moment.time() < stop.ends_at:
            return stop
    return None


def next_stop(schedule: Schedule, moment: datetime) -> Stop | None:
    """The first stop that starts after the local `moment`."""
    later = [s for s in schedule.stops if (s.date, s.starts_at) > (moment.date(), moment.time())]
    return min(later, key=lambda s: (s.date, s.starts_at), default=None)


def is_open_at(schedule: Schedule, moment: datetime) -> bool:
    """Whether the station is open at the local (naive or Asia/Shanghai) `moment`; see the module doc."""
    if current_stop(schedule, moment) is not None:
        return True
    today, now = moment.date(), moment.time()
    exception = _exception_on(schedule, today)
    if exception is not None and exception.is_closed:
        return False
    if exception is not None:
        if exception.opens_at <= now < exception.closes_at:
            return True
    else:
        if schedule.is_open_24h:
            return True
        for interval in schedule.weekly:
            if interval.weekday != today.weekday():
                continue
            if interval.is_overnight and now >= interval.opens_at:
                return True
            if not interval.is_overnight and interval.opens_at <= now < interval.closes_at:
                return True
    yesterday = today - timedelta(days=1)
    if _exception_on(schedule, yesterday) is None and not schedule.is_open_24h:
        for interval in schedule.weekly:
            if interval.weekday == yesterday.weekday() and interval.is_overnight and now < interval.closes_at:
                return True
    return False


def status_holds_until(schedule: Schedule, moment: datetime) -> datetime:
    """The next moment at which is_open_at or current_stop may answer differently.

    Both rules only compare the time of day with the schedule's opening, closing and stop
    times, and the date with its dates; so their answers hold until the first of those times
    after `moment` (any weekday's, to be safe), or until midnight when none is left today.
    """
    now = moment.time()
    times = [t for interval in schedule.weekly for t in (interval.opens_at, interval.closes_at)]
    times += [t for day in schedule.exceptions for t in (day.opens_at, day.closes_at) if t is not None]
    times += [t for stop in schedule.stops for t in (stop.starts_at, stop.ends_at)]
    later = [t for t in times if t > now]
    midnight = datetime.combine(moment.date() + timedelta(days=1), time(0), tzinfo=moment.tzinfo)
    return datetime.combine(moment.date(), min(later), tzinfo=moment.tzinfo) if later else midnight


# --- Coordinates: WGS-84 ↔ GCJ-02 ---------------------------------------------------------
# GCJ-02 is the offset datum Chinese map providers (AMap, Tencent, Tianditu's Chinese tiles)
# draw in. The forward transform is the widely published one (Krasovsky 1940 ellipsoid);
# there is no closed-form inverse, so the inverse iterates the forward transform.
_A = 6378245.0
_EE = 0.00669342162296594323


def _outside_china(lat: float, lng: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if _outside_china(lat, lng):
        return lat, lng
    d_lat = _transform_lat(lng - 105.0, lat - 35.0)
    d_lng = _transform_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """Inverse by fixed-point iteration: better than 1e-7 degrees (about 1 cm) in China."""
    if _outside_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _step in range(30):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        d_lat, d_lng = g_lat - lat, g_lng - lng
        w_lat, w_lng = w_lat - d_lat, w_lng - d_lng
        if abs(d_lat) < 1e-9 and abs(d_lng) < 1e-9:
            break
    return w_lat, w_lng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius); for checks, not for ordering."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


# --- Health readings ----------------------------------------------------------------------
@dataclass(frozen=True)
class ReferenceRange:
    """Flags of one indicator for adults: `low` when value < low_below, `high` when value >= high_from.

    `urgent_*` mark values clearly abnormal: the advice then says to see a doctor soon.
    `places` is how precisely the value is taken (kiosks report these resolutions).
    """

    label: str
    unit: str
    places: int
    low_below: Decimal | None
    high_from: Decimal | None
    urgent_below: Decimal | None = None
    urgent_from: Decimal | None = None
    medical: bool = True  # False: outside the range calls for lifestyle advice, not a doctor
    source: str = ""
    minimum: Decimal = Decimal("0")
    maximum: Decimal = Decimal("1000")


D = Decimal
# Adult reference ranges and their sources:
# - blood pressure: 中国高血压防治指南（2018年修订版）: hypertension from 140/90 mmHg; grade 3
#   from 180/110; hypotension below 90/60.
# - heart rate: 诊断学（第9版，人民卫生出版社）: resting adult 60–100/min; above 100 tachycardia.
# - blood glucose (fasting): 中国2型糖尿病防治指南（2020年版）: normal 3.9–6.0 mmol/L, impaired
#   from 6.1, hypoglycaemia below 3.9; ≥11.1 is diabetic at any time of day.
# - total cholesterol, triglycerides: 中国成人血脂异常防治指南（2016年修订版）: TC desirable
#   below 5.2 mmol/L, high from 6.2; TG desirable below 1.7, high from 2.3 (very high from 5.6).
# - uric acid: 中国高尿酸血症与痛风诊疗指南（2019）: hyperuricaemia above 420 μmol/L
#   (whole μmol/L, so from 421); 600 and more warrants treatment.
# - BMI: WS/T 428—2013 成人体重判定: underweight below 18.5, overweight from 24.0, obese from 28.0.
# - SpO2: WHO pulse oximetry training manual (2011): normal 95–100 %, below 90 % needs care.
REFERENCE_RANGES: dict[str, ReferenceRange] = {
    "systolic_bp": ReferenceRange(_("Systolic blood pressure"), "mmHg", 0, D(90), D(140), D(80), D(180),
                                  source="中国高血压防治指南2018", minimum=D(40), maximum=D(300)),
    "diastolic_bp": ReferenceRange(_("Diastolic blood pressure"), "mmHg", 0, D(60), D(90), D(40), D(110),
                                   source="中国高血压防治指南2018", minimum=D(20), maximum=D(200)),
    "heart_rate": ReferenceRange(_("Heart rate"), "/min", 0, D(60), D(101), D(40), D(130),
                                 source="诊断学第9版", minimum=D(20), maximum=D(250)),
    "blood_glucose": ReferenceRange(_("Blood glucose (fasting)"), "mmol/L", 1, D("3.9"), D("6.1"), D("2.8"), D("11.1"),
                                    source="中国2型糖尿病防治指南2020", minimum=D("0.5"), maximum=D("40")),
    "total_cholesterol": ReferenceRange(_("Total cholesterol"), "mmol/L", 2, None, D("5.20"), None, D("6.20"),
                                        source="中国成人血脂异常防治指南2016", minimum=D("0.5"), maximum=D("20")),
    "triglycerides": ReferenceRange(_("Triglycerides"), "mmol/L", 2, None, D("1.70"), None, D("5.60"),
                                    source="中国成人血脂异常防治指南2016", minimum=D("0.1"), maximum=D("30")),
    "uric_acid": ReferenceRange(_("Uric acid"), "μmol/L", 0, None, D(421), None, D(600),
                                source="中国高尿酸血症与痛风诊疗指南2019", minimum=D(50), maximum=D(1500)),
    "bmi": ReferenceRange(_("Body mass index"), "kg/m²", 1, D("18.5"), D("24.0"), medical=False,
                          source="WS/T 428-2013", minimum=D(10), maximum=D(80)),
    "spo2": ReferenceRange(_("Blood oxygen saturation"), "%", 0, D(95), None, D(90), None,
                           source="WHO Pulse Oximetry Training Manual 2011", minimum=D(50), maximum=D(100)),
}

NORMAL, LOW, HIGH = "normal", "low", "high"


def reading_flag(indicator: str, value: Decimal) -> str:
    rng = REFERENCE_RANGES[indicator]
    if rng.low_below is not None and value < rng.low_below:
        return LOW
    if rng.high_from is not None and value >= rng.high_from:
        return HIGH
    return NORMAL


def reading_is_urgent(indicator: str, value: Decimal) -> bool:
    rng = REFERENCE_RANGES[indicator]
    return (rng.urgent_below is not None and value < rng.urgent_below) or (
        rng.urgent_from is not None and value >= rng.urgent_from
    )


@dataclass(frozen=True)
class ReadingAssessment:
    flags: dict  # indicator → normal/low/high
    level: str  # normal, lifestyle, see_doctor, see_doctor_soon
    advice: str
    is_abnormal: bool


ADVICE = {
    "normal": _("All readings are within the normal range. Keep it up."),
    "lifestyle": _("Your body mass index is outside the normal range: mind your diet and exercise."),
    "see_doctor": _("Some readings are outside the normal range: please see a doctor for a check."),
    "see_doctor_soon": _("Some readings are clearly abnormal: please see a doctor as soon as possible."),
}


def reading_assess(values: dict[str, Decimal]) -> ReadingAssessment:
    """Flag each value against REFERENCE_RANGES and give one overall advice."""
    flags = {name: reading_flag(name, value) for name, value in values.items()}
    urgent = any(reading_is_urgent(name, value) for name, value in values.items())
    medical_flag = any(flag != NORMAL and REFERENCE_RANGES[name].medical for name, flag in flags.items())
    if urgent:
        level = "see_doctor_soon"
    elif medical_flag:
        level = "see_doctor"
    elif any(flag != NORMAL for flag in flags.values()):
        level = "lifestyle"
    else:
        level = "normal"
    return ReadingAssessment(flags=flags, level=level, advice=str(ADVICE[level]), is_abnormal=level != "normal")


# --- Ratings -------------------------------------------------------------------------------
def rating_average(total: int, count: int) -> Decimal | None:
    """Average stars with one decimal, half up; None before the first rating."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
