"""Bulk member actions at a district's scale: every active member of the district's largest
grassroots union transferred by a bulk action, as the Celery worker runs it
(members.bulk_actions), to a union made for the bench beside it, then back again, in this one
process against the bench database.

Prints `BULK direction= members= seconds= per_member_ms= runs=` for each way, and
`BULK path=one_by_one members= per_member_ms=` for the same service called in a plain loop, as
the back office did in the request before: the difference is what the worker's bookkeeping
(its place kept in each member's transaction) costs. The transfers, their audit rows and their
notifications are deleted afterwards, and the union made for the bench, so the data set is as
it was.
"""

import sys
import time

from bench.django_process import setup_django

DISTRICT_STAFF = "13900000002"
ONE_BY_ONE = 500


def main() -> int:
    setup_django()
    from django.db.models import Count
    from django.utils import timezone

    from members import bulk_actions, services
    from members.models import Member, MemberBulkAction, MemberTransfer, Organization, User
    from members.scoping import scope_prefix
    from unionportal.core.models import AuditLog, Notification

    staff = User.objects.get_by_phone(DISTRICT_STAFF)
    started = timezone.now()
    largest = Organization.objects.get(pk=(
        Member.objects.filter(organization__path__startswith=scope_prefix(staff), status="active")
        .values("organization").annotate(members=Count("pk")).order_by("-members")[0]["organization"]))
    beside = Organization.objects.get_parent(largest).add_child(kind="joint", name="基准测试联合工会")
    try:
        for direction, source, target in (("there", largest, beside), ("back", beside, largest)):
            moving = Member.objects.filter(organization=source, status="active").count()
            action = bulk_actions.member_bulk_request(
                actor=staff, kind="transfer", query_string=f"union={source.pk}&status__exact=active",
                description="bench", to_organization=target)
            wall, runs = time.perf_counter(), 0
            while action.status in bulk_actions.UNFINISHED:
                action = bulk_actions.member_bulk_run(action.pk) or MemberBulkAction.objects.get(pk=action.pk)
                runs += 1
            wall = time.perf_counter() - wall
            if action.status != "done" or action.done_count != moving:
                print(f"BULK direction={direction} failed status={action.status} done={action.done_count} "
                      f"of={moving} failure={action.failure}")
                return 1
            print(f"BULK direction={direction} members={moving} seconds={wall:.1f} "
                  f"per_member_ms={wall * 1000 / moving:.2f} runs={runs}", flush=True)
            if direction == "there":  # the same service in a plain loop, as the request did
                sample = list(Member.objects.filter(organization=target).order_by("pk")[:ONE_BY_ONE])
                wall = time.perf_counter()
                for member in sample:
                    services.member_transfer(actor=staff, member=member, to_organization=source)
                wall = time.perf_counter() - wall
                print(f"BULK path=one_by_one members={len(sample)} per_member_ms={wall * 1000 / len(sample):.2f}",
                      flush=True)
    finally:
        MemberTransfer.objects.filter(transferred_by=staff, transferred_at__gte=started).delete()
        AuditLog.objects.filter(actor=staff, created_at__gte=started).delete()
        Notification.objects.filter(event="member_transferred", created_at__gte=started).delete()
        MemberBulkAction.objects.filter(requested_by=staff, requested_at__gte=started).delete()
        beside.delete()
        _empty_the_queue()
    return 0


def _empty_the_queue() -> None:
    from unionportal.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)


if __name__ == "__main__":
    sys.exit(main())
