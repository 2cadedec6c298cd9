"""Seat races with real threads against the real database: never more than the seats."""

import threading
from datetime import date

import pytest
from django.db import connection

from convalescence import services
from convalescence.models import Nomination, NominationStatus, Session
from tests.factories import make_member, make_staff, make_tree
from unionportal.core.errors import DomainError

from .builders import NOW, make_base, make_program, make_session


def run_threads(targets):
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def runner(target):
        try:
            barrier.wait()
            target()
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_nominations_approvals_and_confirmations_never_exceed_seats():
    tree = make_tree()
    city_staff = make_staff(tree["city"])
    enterprise_staff = make_staff(tree["enterprise_a"])
    session = make_session(city_staff, make_program(make_base(tree["city"])), tree["city"],
                           starts_on=date(2026, 12, 7), seats=5)
    services.session_quotas_set(actor=city_staff, session=session, quotas={tree["enterprise_a"]: 3})
    members = [make_member(tree["enterprise_a"]) for _ in range(12)]

    # 12 staff clicks at once for a quota of 3
    outcomes = run_threads([
        lambda m=m: services.nomination_create(actor=enterprise_staff, session=session, member=m, now=NOW)
        for m in members
    ])
    assert outcomes.count("ok") == 3 and outcomes.count("quota_full") == 9

    # open seats: 10 more members from the other district nominated one by one
    other_staff = make_staff(tree["enterprise_b"])
    for _ in range(10):
        services.nomination_create(actor=other_staff, session=session, member=make_member(tree["enterprise_b"]), now=NOW)

    # every nomination approved at once by different clicks: 5 seats, the rest wait
    nominations = list(Nomination.objects.filter(session=session))
    outcomes = run_threads([
        lambda n=n: services.nomination_approve(actor=city_staff, nomination=n, now=NOW) for n in nominations
    ])
    assert outcomes.count("ok") == 13
    assert Nomination.objects.filter(session=session, status=NominationStatus.APPROVED).count() == 5
    assert Nomination.objects.filter(session=session, status=NominationStatus.WAITING).count() == 8

    # everyone presses confirm at once, while two approved members decline at the same time
    # (the two who decline hold open seats, so the open pool's waiting list can take them)
    approved = list(Nomination.objects.filter(session=session, status=NominationStatus.APPROVED)
                    .select_related("member__user").order_by("-member__organization__path"))
    assert [n.member.organization for n in approved[:2]] == [tree["enterprise_b"]] * 2
    waiting = list(Nomination.objects.filter(session=session, status=NominationStatus.WAITING).select_related("member__user"))
    targets = [lambda n=n: services.nomination_confirm(user=n.member.user, nomination=n, now=NOW) for n in approved[2:]]
    targets += [lambda n=n: services.nomination_decline(user=n.member.user, nomination=n, now=NOW) for n in approved[:2]]
    targets += [lambda n=n: services.nomination_confirm(user=n.member.user, nomination=n, now=NOW) for n in waiting]
    outcomes = run_threads(targets)
    # 3 confirmations and 2 declines; a waiting member whose seat came up in the race may confirm too
    assert 5 <= outcomes.count("ok") <= 7
    assert set(outcomes) <= {"ok", "invalid_status"}

    promoted = list(Nomination.objects.filter(session=session, status=NominationStatus.APPROVED).select_related("member__user"))
    outcomes = run_threads([
        lambda n=n: services.nomination_confirm(user=n.member.user, nomination=n, now=NOW) for n in promoted
    ] * 3)  # each pressed three times at once: the same answer every time
    assert outcomes.count("ok") == 3 * len(promoted)

    session.refresh_from_db()
    confirmed = Nomination.objects.filter(session=session, status=NominationStatus.CONFIRMED).count()
    assert session.confirmed_count == confirmed == 5 <= session.seats
    assert Session.objects.filter(pk=session.pk, confirmed_count__lte=5).exists()
