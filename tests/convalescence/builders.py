"""Builders for convalescence tests: catalogue rows the services do not make."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import Point

from convalescence import services
from convalescence.models import Base, Program, SubsidyRate

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=9, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def make_base(organization, name="清源山疗休养基地", out_of_province=False, level="city"):
    return Base.objects.create(
        organization=organization, name=name, level=level, location=Point(118.60, 24.95, srid=4326),
        address="泉州市丰泽区清源山", beds=120, themes=["wellness"], is_out_of_province=out_of_province,
        contact_name="林经理", contact_phone="0595-22000000", accredited_from=date(2023, 1, 1),
        accredited_until=date(2027, 12, 31),
    )


def make_program(base, kind="multi_day", days=5, name=None):
    return Program.objects.create(base=base, name=name or f"{kind} {days}天", kind=kind, days=days,
                                  itinerary="第一天：报到", description="")


def make_session(actor, program, organising_union, starts_on=date(2026, 12, 7), seats=3, **overrides):
    """A session whose nominations are open on 2026-11-23 and must be confirmed by 2026-12-01."""
    fields = dict(
        nomination_opens_at=at(2026, 11, 1), nomination_closes_at=at(2026, 11, 25, 18),
        confirmation_deadline=at(2026, 12, 1, 18),
    )
    fields.update(overrides)
    return services.session_create(actor=actor, program=program, organising_union=organising_union,
                                   starts_on=starts_on, seats=seats, **fields)


def make_rates():
    SubsidyRate.objects.create(program_kind="multi_day", paying_level="city", amount_per_person_day=Decimal("450.00"),
                               valid_from=date(2020, 1, 1), valid_until=date(2023, 12, 31))
    SubsidyRate.objects.create(program_kind="multi_day", paying_level="city", amount_per_person_day=Decimal("500.00"),
                               valid_from=date(2024, 1, 1))
    SubsidyRate.objects.create(program_kind="one_day", paying_level="county", amount_per_person_day=Decimal("150.00"),
                               valid_from=date(2020, 1, 1))


NOW = at(2026, 11, 23, 10)
ONE_DAY = timedelta(days=1)
