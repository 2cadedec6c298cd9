"""Pure rules: tables, no database."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from stations import rules
from stations.rules import ExceptionDay, Schedule, Stop, WeeklyInterval

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)  # Monday …


def at(day, hhmm):
    return datetime.combine(day, time.fromisoformat(hhmm))


DAY = Schedule(weekly=(WeeklyInterval(0, time(8), time(12)), WeeklyInterval(0, time(14), time(18))))
NIGHT = Schedule(weekly=(WeeklyInterval(0, time(22), time(6)),))  # Monday night into Tuesday
UNTIL_MIDNIGHT = Schedule(weekly=(WeeklyInterval(0, time(18), time(0)),))
ALWAYS = Schedule(is_open_24h=True)


@pytest.mark.parametrize("schedule, moment, expected", [
    (DAY, at(MON, "07:59"), False),
    (DAY, at(MON, "08:00"), True),
    (DAY, at(MON, "11:59"), True),
    (DAY, at(MON, "12:00"), False),  # closing time is exclusive
    (DAY, at(MON, "14:30"), True),
    (DAY, at(TUE, "09:00"), False),  # no Tuesday hours
    (NIGHT, at(MON, "21:59"), False),
    (NIGHT, at(MON, "22:00"), True),
    (NIGHT, at(MON, "23:59"), True),
    (NIGHT, at(TUE, "00:00"), True),  # across midnight
    (NIGHT, at(TUE, "05:59"), True),
    (NIGHT, at(TUE, "06:00"), False),
    (NIGHT, at(MON, "03:00"), False),  # Sunday night has no hours
    (UNTIL_MIDNIGHT, at(MON, "23:59"), True),
    (UNTIL_MIDNIGHT, at(TUE, "00:00"), False),
    (ALWAYS, at(WED, "03:33"), True),
])
def test_weekly_hours(schedule, moment, expected):
    assert rules.is_open_at(schedule, moment) is expected


@pytest.mark.parametrize("exceptions, moment, expected", [
    # closed on Tuesday: also the early-morning part of Monday night
    ((ExceptionDay(TUE, True),), at(TUE, "01:00"), False),
    ((ExceptionDay(TUE, True),), at(MON, "23:00"), True),
    # closed on Monday: no Monday night, and the spill into Tuesday goes too
    ((ExceptionDay(MON, True),), at(MON, "23:00"), False),
    ((ExceptionDay(MON, True),), at(TUE, "01:00"), False),
    # other hours on Monday replace Monday's own interval only
    ((ExceptionDay(MON, False, time(9), time(11)),), at(MON, "10:00"), True),
    ((ExceptionDay(MON, False, time(9), time(11)),), at(MON, "23:00"), False),
    ((ExceptionDay(MON, False, time(9), time(11)),), at(TUE, "01:00"), False),
    # hours on Tuesday keep Monday night's spill
    ((ExceptionDay(TUE, False, time(9), time(11)),), at(TUE, "01:00"), True),
    ((ExceptionDay(TUE, False, time(9), time(11)),), at(TUE, "10:59"), True),
    ((ExceptionDay(TUE, False, time(9), time(11)),), at(TUE, "11:00"), False),
])
def test_exceptions_over_a_night_station(exceptions, moment, expected):
    schedule = Schedule(weekly=NIGHT.weekly, exceptions=exceptions)
    assert rules.is_open_at(schedule, moment) is expected


def test_a_24_hour_station_closes_on_a_closed_exception_and_keeps_exception_hours():
    schedule = Schedule(is_open_24h=True, exceptions=(ExceptionDay(MON, True), ExceptionDay(TUE, False, time(8), time(12))))
    assert not rules.is_open_at(schedule, at(MON, "12:00"))
    assert rules.is_open_at(schedule, at(TUE, "08:00"))
    assert not rules.is_open_at(schedule, at(TUE, "13:00"))
    assert rules.is_open_at(schedule, at(WED, "00:00"))


def test_a_mobile_stop_is_open_at_its_place_and_the_next_stop_follows():
    first = Stop(MON, time(8), time(11), "丰泽工地", 24.9, 118.6)
    second = Stop(MON, time(14), time(17), "洛江工地", 24.95, 118.65)
    tomorrow = Stop(TUE, time(8), time(11), "晋江工地", 24.8, 118.58)
    schedule = Schedule(stops=(tomorrow, second, first))
    assert rules.is_open_at(schedule, at(MON, "08:00")) and rules.current_stop(schedule, at(MON, "10:59")) == first
    assert not rules.is_open_at(schedule, at(MON, "11:00")) and rules.current_stop(schedule, at(MON, "12:00")) is None
    assert rules.next_stop(schedule, at(MON, "09:00")) == second
    assert rules.next_stop(schedule, at(MON, "15:00")) == tomorrow
    assert rules.next_stop(schedule, at(TUE, "09:00")) is None


@pytest.mark.parametrize("lat, lng", [(24.874, 118.676), (39.9087, 116.3975), (22.5431, 114.0579), (45.75, 126.63)])
def test_gcj02_round_trip_is_within_a_centimetre(lat, lng):
    g_lat, g_lng = rules.wgs84_to_gcj02(lat, lng)
    shift = rules.distance_m(lat, lng, g_lat, g_lng)
    assert 100 < shift < 700  # the datum shift in China is a few hundred metres
    back = rules.gcj02_to_wgs84(g_lat, g_lng)
    assert rules.distance_m(lat, lng, *back) < 0.01


def test_gcj02_matches_the_published_value_for_tiananmen():
    # Tian'anmen, WGS-84 (39.90870, 116.39750) is GCJ-02 (39.910102, 116.403741) in AMap's converter.
    g_lat, g_lng = rules.wgs84_to_gcj02(39.9087, 116.3975)
    assert abs(g_lat - 39.910102) < 2e-5 and abs(g_lng - 116.403741) < 2e-5


def test_outside_china_nothing_shifts():
    assert rules.wgs84_to_gcj02(48.8584, 2.2945) == (48.8584, 2.2945)
    assert rules.gcj02_to_wgs84(48.8584, 2.2945) == (48.8584, 2.2945)


D = Decimal


@pytest.mark.parametrize("indicator, value, flag", [
    ("systolic_bp", D(89), "low"), ("systolic_bp", D(90), "normal"), ("systolic_bp", D(139), "normal"),
    ("systolic_bp", D(140), "high"),
    ("diastolic_bp", D(59), "low"), ("diastolic_bp", D(60), "normal"), ("diastolic_bp", D(89), "normal"),
    ("diastolic_bp", D(90), "high"),
    ("heart_rate", D(59), "low"), ("heart_rate", D(60), "normal"), ("heart_rate", D(100), "normal"),
    ("heart_rate", D(101), "high"),
    ("blood_glucose", D("3.8"), "low"), ("blood_glucose", D("3.9"), "normal"), ("blood_glucose", D("6.0"), "normal"),
    ("blood_glucose", D("6.1"), "high"),
    ("total_cholesterol", D("5.19"), "normal"), ("total_cholesterol", D("5.20"), "high"),
    ("triglycerides", D("1.69"), "normal"), ("triglycerides", D("1.70"), "high"),
    ("uric_acid", D(420), "normal"), ("uric_acid", D(421), "high"),
    ("bmi", D("18.4"), "low"), ("bmi", D("18.5"), "normal"), ("bmi", D("23.9"), "normal"), ("bmi", D("24.0"), "high"),
    ("spo2", D(94), "low"), ("spo2", D(95), "normal"), ("spo2", D(100), "normal"),
])
def test_reading_flags_at_the_range_boundaries(indicator, value, flag):
    assert rules.reading_flag(indicator, value) == flag


@pytest.mark.parametrize("values, level, abnormal", [
    ({"systolic_bp": D(120), "diastolic_bp": D(80), "heart_rate": D(72)}, "normal", False),
    ({"bmi": D("26.0"), "heart_rate": D(72)}, "lifestyle", True),
    ({"heart_rate": D(110)}, "see_doctor", True),
    ({"heart_rate": D(130)}, "see_doctor_soon", True),  # the truck driver's fast heart
    ({"systolic_bp": D(180), "diastolic_bp": D(100)}, "see_doctor_soon", True),
    ({"spo2": D(89)}, "see_doctor_soon", True),
    ({"uric_acid": D(421)}, "see_doctor", True),
])
def test_overall_advice(values, level, abnormal):
    assessment = rules.reading_assess(values)
    assert assessment.level == level and assessment.is_abnormal is abnormal


def test_advice_tells_the_worker_to_see_a_doctor_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert "建议就医" in rules.reading_assess({"heart_rate": D(110)}).advice
        assert "建议就医" not in rules.reading_assess({"heart_rate": D(70)}).advice


@pytest.mark.parametrize("total, count, average", [(0, 0, None), (5, 1, D("5.0")), (9, 2, D("4.5")), (14, 3, D("4.7")),
                                                   (13, 3, D("4.3"))])
def test_rating_average_rounds_half_up(total, count, average):
    assert rules.rating_average(total, count) == average


def test_the_open_status_holds_until_the_next_opening_closing_or_stop_time():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    schedule = rules.Schedule(
        is_open_24h=False,
        weekly=(rules.WeeklyInterval(0, time(8), time(20)), rules.WeeklyInterval(3, time(22), time(6))),
        exceptions=(rules.ExceptionDay(date(2026, 11, 24), False, time(9, 30), time(12)),),
        stops=(rules.Stop(date(2026, 11, 23), time(13, 15), time(14), "工地", 24.9, 118.6),),
    )
    monday = datetime(2026, 11, 23, 10, 0, 30, tzinfo=tz)
    assert rules.status_holds_until(schedule, monday) == datetime(2026, 11, 23, 12, 0, tzinfo=tz)
    assert rules.status_holds_until(schedule, monday.replace(hour=13, minute=15)) == monday.replace(
        hour=14, minute=0, second=0)
    assert rules.status_holds_until(schedule, monday.replace(hour=23)) == datetime(2026, 11, 24, 0, 0, tzinfo=tz)
    # Between those moments both rules answer as they did at the start.
    for moment, until in [(monday, 12), (monday.replace(hour=20, minute=1), 22)]:
        end = moment.replace(hour=until, minute=0, second=0) - timedelta(seconds=1)
        assert rules.is_open_at(schedule, moment) == rules.is_open_at(schedule, end)
        assert rules.current_stop(schedule, moment) == rules.current_stop(schedule, end)
