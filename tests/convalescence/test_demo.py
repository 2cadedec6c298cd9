"""The demo data: the catalogue, both rates, Quanzhou's 2023 figures, and the demo members' trips."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from convalescence import selectors
from convalescence.models import Base, Nomination, Program, Session, Settlement, SubsidyRate
from members.models import User


def counts():
    return (Base.objects.count(), Program.objects.count(), Session.objects.count(), Settlement.objects.count(),
            Nomination.objects.count())


@pytest.mark.django_db
def test_demo_is_complete_and_idempotent(demo):
    levels = dict(Base.objects.values_list("level").annotate(n=Count("pk")))
    assert levels == {"provincial": 6, "city": 12, "county": 12}
    assert set(Program.objects.values_list("kind", flat=True)) == {"one_day", "multi_day", "team_building",
                                                                  "model_workers_harbour"}
    assert set(SubsidyRate.objects.filter(program_kind="multi_day").values_list("amount_per_person_day", flat=True)) \
        == {450, 500}
    year_2023 = Settlement.objects.filter(session__starts_on__year=2023).aggregate(n=Count("pk"), workers=Sum("attendees"))
    assert year_2023 == {"n": 438, "workers": 17_364}
    superuser = User.objects.get(is_superuser=True, name="泉州市总工会管理员")
    assert {row["year"]: (row["sessions"], row["workers"]) for row in selectors.yearly_totals(superuser)}[2023] \
        == (438, 17_364)
    assert len(selectors.yearly_figures_by_district(superuser, 2023)) >= 10
    # 2023 sessions were settled at 450, 2024 ones at 500 (multi-day, city level)
    assert set(Settlement.objects.filter(session__starts_on__year=2023, session__program__kind="multi_day")
               .values_list("lines__rate", flat=True)) == {450}
    assert set(Settlement.objects.filter(session__starts_on__year=2024, session__program__kind="multi_day")
               .values_list("lines__rate", flat=True)) == {500}
    statuses = set(Nomination.objects.values_list("status", flat=True))
    assert {"approved", "confirmed", "waiting", "attended", "no_show"} <= statuses
    assert Session.objects.filter(starts_on__year=2027).exists()

    before = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == before
