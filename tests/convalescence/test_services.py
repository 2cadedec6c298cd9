"""Services against the real database: the workflow from catalogue to settlement."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from convalescence import services
from convalescence.models import Nomination, NominationStatus, Session, Settlement, SubsidyRate
from convalescence.tasks import nominations_lapse_overdue
from members.models import StaffAssignment
from tests.factories import make_member, make_staff, make_tree
from unionportal.core.errors import DomainError
from unionportal.core.models import AuditLog, Notification

from .builders import NOW, ONE_DAY, at, make_base, make_program, make_rates, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tree = make_tree()
    city_staff = make_staff(tree["city"])
    base = make_base(tree["city"])
    program = make_program(base)
    session = make_session(city_staff, program, tree["city"], seats=2)
    return {
        **tree, "city_staff": city_staff, "enterprise_staff": make_staff(tree["enterprise_a"]),
        "other_staff": make_staff(tree["enterprise_b"]), "base": base, "program": program, "session": session,
    }


def nominate(world, member, session=None, actor=None, now=NOW):
    return services.nomination_create(actor=actor or world["enterprise_staff"], session=session or world["session"],
                                      member=member, now=now)


def reload(obj):
    obj.refresh_from_db()
    return obj


def test_session_dates_follow_the_program(world):
    session = world["session"]
    assert (session.starts_on, session.ends_on, session.days) == (date(2026, 12, 7), date(2026, 12, 11), 5)
    assert AuditLog.objects.filter(action="convalescence.session.create", object_id=str(session.pk)).exists()


def test_session_deadline_must_fall_before_the_first_day(world):
    with pytest.raises(DomainError) as error:
        make_session(world["city_staff"], world["program"], world["city"], confirmation_deadline=at(2026, 12, 7, 10))
    assert error.value.field == "confirmation_deadline"


def test_enterprise_staff_cannot_create_sessions_for_the_city(world):
    with pytest.raises(DomainError) as error:
        make_session(world["enterprise_staff"], world["program"], world["city"])
    assert error.value.status == 404


def test_nomination_records_priority_audit_and_notification(world):
    member = make_member(world["enterprise_a"], is_frontline=True, model_worker_level="city")
    nomination = nominate(world, member)
    assert nomination.status == NominationStatus.NOMINATED
    assert nomination.priority_score == 60
    assert [code for code, _points in nomination.priority_reasons] == ["frontline", "model_worker"]
    assert AuditLog.objects.filter(action="convalescence.nomination.create", object_id=str(nomination.pk)).exists()
    assert Notification.objects.filter(user=member.user, event="convalescence.nominated").count() == 1


def test_staff_cannot_nominate_members_outside_their_tree(world):
    member = make_member(world["enterprise_b"])
    with pytest.raises(DomainError) as error:
        nominate(world, member)
    assert error.value.status == 404
    assert not Nomination.objects.exists()


def test_viewer_cannot_nominate(world):
    viewer = make_staff(world["enterprise_a"], role=StaffAssignment.Role.VIEWER)
    with pytest.raises(DomainError) as error:
        nominate(world, make_member(world["enterprise_a"]), actor=viewer)
    assert error.value.status == 403


def test_nomination_window(world):
    member = make_member(world["enterprise_a"])
    with pytest.raises(DomainError) as error:
        nominate(world, member, now=at(2026, 11, 25, 18, 1))
    assert error.value.code == "nomination_closed"


def test_duplicate_nomination_is_refused(world):
    member = make_member(world["enterprise_a"])
    nominate(world, member)
    with pytest.raises(DomainError) as error:
        nominate(world, member)
    assert error.value.code == "already_nominated"
    assert Nomination.objects.count() == 1


def test_second_trip_in_the_year_is_refused_with_a_reason(world):
    member = make_member(world["enterprise_a"])
    nominate(world, member)
    later = make_session(world["city_staff"], make_program(world["base"], kind="one_day", days=1), world["city"],
                         starts_on=date(2026, 12, 20))
    with pytest.raises(DomainError) as error:
        nominate(world, member, session=later)
    assert error.value.code == "not_eligible" and "2026" in str(error.value.message)


def test_model_workers_harbour_only_for_model_workers(world):
    harbour = make_session(world["city_staff"], make_program(world["base"], kind="model_workers_harbour", days=7),
                           world["city"], starts_on=date(2026, 12, 14))
    with pytest.raises(DomainError):
        nominate(world, make_member(world["enterprise_a"]), session=harbour)
    assert nominate(world, make_member(world["enterprise_a"], model_worker_level="national"), session=harbour)


def test_quota_limits_each_union_and_leaves_the_rest_open(world):
    session = make_session(world["city_staff"], world["program"], world["city"], starts_on=date(2027, 1, 11), seats=3)
    services.session_quotas_set(actor=world["city_staff"], session=session, quotas={world["enterprise_a"]: 1})
    nominate(world, make_member(world["enterprise_a"]), session=session)
    with pytest.raises(DomainError) as error:
        nominate(world, make_member(world["enterprise_a"]), session=session)
    assert error.value.code == "quota_full"
    # the two open seats take any number of nominations; approval gives out only two
    open_pool = [nominate(world, make_member(world["enterprise_b"], is_frontline=index < 2), session=session,
                          actor=world["other_staff"]) for index in range(3)]
    services.session_nominations_approve(actor=world["city_staff"], session=session, now=NOW)
    assert [reload(n).status for n in open_pool] == ["approved", "approved", "waiting"]
    assert session.nominations.filter(member__organization=world["enterprise_a"]).get().status == "approved"


def test_a_freed_quota_seat_goes_to_that_union_first(world):
    session = make_session(world["city_staff"], world["program"], world["city"], starts_on=date(2027, 1, 11), seats=2)
    services.session_quotas_set(actor=world["city_staff"], session=session, quotas={world["enterprise_a"]: 1})
    quota_member = nominate(world, make_member(world["enterprise_a"]), session=session)
    open_members = [nominate(world, make_member(world["enterprise_b"]), session=session, actor=world["other_staff"])
                    for _ in range(2)]
    services.session_nominations_approve(actor=world["city_staff"], session=session, now=NOW)
    assert reload(open_members[1]).status == "waiting"
    services.nomination_decline(user=quota_member.member.user, nomination=quota_member, now=NOW)
    # the open pool's waiting member may not take the enterprise's quota seat
    assert reload(open_members[1]).status == "waiting"
    replacement = nominate(world, make_member(world["enterprise_a"]), session=session)
    services.nomination_approve(actor=world["city_staff"], nomination=replacement, now=NOW)
    assert reload(replacement).status == "approved"


def test_quotas_cannot_exceed_seats(world):
    with pytest.raises(DomainError) as error:
        services.session_quotas_set(actor=world["city_staff"], session=world["session"],
                                    quotas={world["enterprise_a"]: 2, world["enterprise_b"]: 1})
    assert error.value.code == "quota_exceeds_seats"
    assert not world["session"].quotas.exists()


def test_approval_in_priority_order_then_waiting_list(world):
    low = nominate(world, make_member(world["enterprise_a"]))
    high = nominate(world, make_member(world["enterprise_a"], is_frontline=True))
    middle = nominate(world, make_member(world["enterprise_a"], is_technical=True))
    services.session_nominations_approve(actor=world["city_staff"], session=world["session"], now=NOW)
    assert [reload(n).status for n in (high, middle, low)] == ["approved", "approved", "waiting"]
    assert reload(high).respond_by == at(2026, 12, 1, 18)
    assert Notification.objects.filter(user=low.member.user, event="convalescence.waiting").exists()


def test_confirm_decline_and_the_waiting_list_moves_up(world):
    first, second, third = (nominate(world, make_member(world["enterprise_a"], is_frontline=flag)) for flag in (True, True, False))
    services.session_nominations_approve(actor=world["city_staff"], session=world["session"], now=NOW)
    services.nomination_confirm(user=first.member.user, nomination=first, now=NOW + ONE_DAY)
    services.nomination_confirm(user=first.member.user, nomination=first, now=NOW + ONE_DAY)  # twice: no change
    assert reload(world["session"]).confirmed_count == 1
    # confirmed member changes their mind: the seat goes to the waiting list
    services.nomination_decline(user=first.member.user, nomination=first, now=NOW + 2 * ONE_DAY)
    assert reload(world["session"]).confirmed_count == 0
    assert reload(third).status == NominationStatus.APPROVED
    assert reload(third).respond_by == at(2026, 12, 1, 18)
    assert Notification.objects.filter(user=third.member.user, event="convalescence.approved").exists()
    assert AuditLog.objects.filter(action="convalescence.nomination.waiting_list_promote", object_id=str(third.pk)).exists()
    assert reload(second).status == NominationStatus.APPROVED


def test_a_member_cannot_answer_someone_elses_nomination(world):
    nomination = nominate(world, make_member(world["enterprise_a"]))
    services.nomination_approve(actor=world["city_staff"], nomination=nomination, now=NOW)
    stranger = make_member(world["enterprise_a"])
    with pytest.raises(DomainError) as error:
        services.nomination_confirm(user=stranger.user, nomination=nomination, now=NOW)
    assert error.value.status == 404
    assert reload(nomination).status == NominationStatus.APPROVED


def test_unconfirmed_places_lapse_and_go_to_the_waiting_list(world, settings):
    a, b, c = (nominate(world, make_member(world["enterprise_a"], is_frontline=flag)) for flag in (True, True, False))
    services.session_nominations_approve(actor=world["city_staff"], session=world["session"], now=NOW)
    services.nomination_confirm(user=a.member.user, nomination=a, now=at(2026, 12, 1, 17))
    with pytest.raises(DomainError) as error:
        services.nomination_confirm(user=b.member.user, nomination=b, now=at(2026, 12, 1, 18, 1))
    assert error.value.code == "deadline_passed"
    assert services.nominations_lapse(now=at(2026, 12, 1, 18, 1)) == 1
    assert services.nominations_lapse(now=at(2026, 12, 1, 18, 1)) == 0  # twice: nothing more
    assert reload(b).status == NominationStatus.LAPSED
    assert reload(c).status == NominationStatus.APPROVED
    # a promoted member gets 48 hours, but never past the first day
    assert reload(c).respond_by == at(2026, 12, 3, 18, 1)
    assert Notification.objects.filter(user=b.member.user, event="convalescence.lapsed").exists()


def test_lapse_task_runs_the_service(world):
    nomination = nominate(world, make_member(world["enterprise_a"]))
    services.nomination_approve(actor=world["city_staff"], nomination=nomination, now=NOW)
    Nomination.objects.filter(pk=nomination.pk).update(respond_by=at(2020, 1, 1))
    assert nominations_lapse_overdue.apply().get() == 1
    assert reload(nomination).status == NominationStatus.LAPSED


def test_database_refuses_more_confirmed_than_seats(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=world["session"].pk).update(confirmed_count=3)


def test_database_refuses_overlapping_trips(world):
    member = make_member(world["enterprise_a"])
    nominate(world, member)
    other = make_session(world["city_staff"], make_program(world["base"], kind="team_building", days=1),
                         world["city"], starts_on=date(2026, 12, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        Nomination.objects.create(session=other, member=member, trip_starts_on=other.starts_on, trip_ends_on=other.ends_on,
                                  nominated_by=world["city_staff"], nominated_at=NOW)
    # declined trips no longer block the dates
    Nomination.objects.filter(member=member).update(status=NominationStatus.DECLINED)
    Nomination.objects.create(session=other, member=member, trip_starts_on=other.starts_on, trip_ends_on=other.ends_on,
                              nominated_by=world["city_staff"], nominated_at=NOW)


def test_database_refuses_overlapping_rates():
    make_rates()
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyRate.objects.create(program_kind="multi_day", paying_level="city", amount_per_person_day=Decimal("1"),
                                   valid_from=date(2023, 12, 31), valid_until=date(2023, 12, 31))
    # another paying level may run in the same period
    SubsidyRate.objects.create(program_kind="multi_day", paying_level="county", amount_per_person_day=Decimal("1"),
                               valid_from=date(2023, 12, 31))


def test_rate_service_explains_an_overlap(world):
    make_rates()
    superuser = make_staff(world["city"], is_superuser=True)
    with pytest.raises(DomainError) as error:
        services.subsidy_rate_create(actor=superuser, program_kind="multi_day", paying_level="city",
                                     amount_per_person_day="520", valid_from=date(2025, 1, 1))
    assert error.value.code == "rate_overlap"
    with pytest.raises(DomainError) as error:
        services.subsidy_rate_create(actor=world["city_staff"], program_kind="team_building", paying_level="city",
                                     amount_per_person_day="520", valid_from=date(2025, 1, 1))
    assert error.value.status == 403


def run_session(world, starts_on, attendees, seats=3):
    """A session with `attendees` checked in out of `seats` confirmed; roster closed."""
    opens = at(starts_on.year, starts_on.month, starts_on.day) - timedelta(days=30)
    session = make_session(world["city_staff"], world["program"], world["city"], starts_on=starts_on, seats=seats,
                           nomination_opens_at=opens, nomination_closes_at=opens + 10 * ONE_DAY,
                           confirmation_deadline=opens + 20 * ONE_DAY)
    members = [make_member(world["enterprise_a"]) for _ in range(seats)]
    for member in members:
        nominate(world, member, session=session, now=opens + ONE_DAY)
    services.session_nominations_approve(actor=world["city_staff"], session=session, now=opens + 11 * ONE_DAY)
    for nomination in session.nominations.all():
        services.nomination_confirm(user=nomination.member.user, nomination=nomination, now=opens + 12 * ONE_DAY)
    first_day = at(starts_on.year, starts_on.month, starts_on.day, 8)
    for member in members[:attendees]:
        services.nomination_check_in(actor=world["city_staff"], session=session, card_number=member.card_number,
                                     now=first_day)
    counts = services.session_roster_close(actor=world["city_staff"], session=session, now=first_day + timedelta(hours=3))
    assert counts["confirmed->no_show"] == seats - attendees
    return session


def test_attendance_check_in_and_no_shows(world):
    session = run_session(world, date(2026, 12, 14), attendees=2)
    statuses = sorted(session.nominations.values_list("status", flat=True))
    assert statuses == ["attended", "attended", "no_show"]
    assert reload(session).attended_count == 2


def test_check_in_by_the_card_qr_code_and_notifications(world):
    from members.services import card_token_issue

    nomination = nominate(world, make_member(world["enterprise_a"]))
    services.nomination_approve(actor=world["city_staff"], nomination=nomination, now=NOW)
    services.nomination_confirm(user=nomination.member.user, nomination=nomination, now=NOW)
    with pytest.raises(DomainError) as error:
        services.nomination_check_in(actor=world["city_staff"], session=world["session"], card_token="forged:token",
                                     now=at(2026, 12, 7, 8))
    assert error.value.code == "card_invalid" and error.value.field == "card_token"
    token = card_token_issue(nomination.member)
    checked = services.nomination_check_in(actor=world["city_staff"], session=world["session"], card_token=token,
                                           now=at(2026, 12, 7, 8))
    assert checked.status == NominationStatus.ATTENDED and checked.checked_in_by == world["city_staff"]
    # scanned twice: still one attendee
    services.nomination_check_in(actor=world["city_staff"], session=world["session"], card_token=token,
                                 now=at(2026, 12, 7, 8, 1))
    assert reload(world["session"]).attended_count == 1
    assert Notification.objects.filter(user=nomination.member.user, event="convalescence.checked_in").count() == 1


def test_no_shows_are_told(world):
    session = run_session(world, date(2026, 12, 28), attendees=1, seats=2)
    absent = session.nominations.get(status=NominationStatus.NO_SHOW)
    assert Notification.objects.filter(user=absent.member.user, event="convalescence.no_show").exists()
    assert AuditLog.objects.filter(action="convalescence.session.roster_close", object_id=str(session.pk)).exists()


def test_check_in_refuses_strangers_and_other_days(world):
    nomination = nominate(world, make_member(world["enterprise_a"]))
    services.nomination_approve(actor=world["city_staff"], nomination=nomination, now=NOW)
    with pytest.raises(DomainError) as error:
        services.nomination_check_in(actor=world["city_staff"], session=world["session"],
                                     card_number=nomination.member.card_number, now=at(2026, 12, 6, 23, 59))
    assert error.value.code == "not_today"
    with pytest.raises(DomainError) as error:
        services.nomination_check_in(actor=world["city_staff"], session=world["session"],
                                     card_number=nomination.member.card_number, now=at(2026, 12, 7, 0, 1))
    assert error.value.code == "not_confirmed"
    with pytest.raises(DomainError) as error:
        services.nomination_check_in(actor=world["city_staff"], session=world["session"], card_number="0000",
                                     now=at(2026, 12, 7, 9))
    assert error.value.code == "not_on_roster"


@pytest.mark.parametrize("starts_on, rate, total", [
    (date(2023, 12, 31), Decimal("450.00"), Decimal("4500.00")),  # 2 attendees × 5 days × 450
    (date(2024, 1, 1), Decimal("500.00"), Decimal("5000.00")),    # 2 attendees × 5 days × 500
])
def test_settlement_uses_the_rate_in_force_on_the_first_day(world, starts_on, rate, total):
    make_rates()
    session = run_session(world, starts_on, attendees=2)
    settlement = services.session_settle(actor=world["city_staff"], session=session, now=NOW)
    assert (settlement.attendees, settlement.days, settlement.total) == (2, 5, total)
    assert [(line.paying_level, line.rate, line.amount) for line in settlement.lines.all()] == [("city", rate, total)]
    with pytest.raises(DomainError) as error:
        services.session_settle(actor=world["city_staff"], session=session, now=NOW)
    assert error.value.code == "already_settled"
    # later rate changes never touch a stored settlement
    SubsidyRate.objects.update(amount_per_person_day=Decimal("999.00"))
    assert Settlement.objects.get(pk=settlement.pk).total == total


def test_settlement_needs_a_closed_roster_and_a_rate(world):
    with pytest.raises(DomainError) as error:
        services.session_settle(actor=world["city_staff"], session=world["session"], now=NOW)
    assert error.value.code == "roster_open"
    session = run_session(world, date(2026, 12, 21), attendees=1)
    with pytest.raises(DomainError) as error:
        services.session_settle(actor=world["city_staff"], session=session, now=NOW)
    assert error.value.code == "no_rate"
    assert not Settlement.objects.exists()
