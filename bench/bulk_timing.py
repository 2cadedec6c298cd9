"""Bulk member actions at a district's scale, as the Celery worker runs them
(members.bulk_actions), in this one process against the bench database:

- `verify`: every pending application in the district staff member's queue (about 6,000 on the
  bench's data set: a request handling them one by one would take minutes);
- `transfer`: every active member of the district's largest grassroots union moved to a union
  made for the bench beside it, then `transfer_back`;
- `void_batch`: every unused coupon of the largest batch voided at once by the city's staff,
  as "select all" does in the request (benefits.coupon_services.coupons_void), and
  `void_one_by_one` for a sample voided one call per coupon, as the back office did before;
  both rolled back.

Prints `BULK kind= members= seconds= per_member_ms= runs=` for each, and
`BULK kind=verify_one_by_one members= per_member_ms=` for the same service called in a plain
loop, as the back office did in the request before: the difference is what the worker's
bookkeeping (its place kept in each member's transaction) costs. Afterwards the applications
are pending again, the members back in their union, and the transfers, audit rows,
notifications and the union made for the bench deleted, so the data set is as it was.
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
    from members.member_list import member_changelist
    from members.models import Member, MemberBulkAction, MemberTransfer, Organization, PendingMember, User
    from members.scoping import scope_prefix
    from unionportal.core.models import AuditLog, Notification

    staff = User.objects.get_by_phone(DISTRICT_STAFF)
    started = timezone.now()
    pending = list(member_changelist(staff, "", PendingMember).queryset.values_list("pk", flat=True))
    largest = Organization.objects.get(pk=(
        Member.objects.filter(organization__path__startswith=scope_prefix(staff), status="active")
        .values("organization").annotate(members=Count("pk")).order_by("-members")[0]["organization"]))
    beside = Organization.objects.add_child(Organization.objects.get_parent(largest),
                                            dict(kind="joint", name="基准测试联合工会"))

    def timed(name, handled, **request):
        action = bulk_actions.member_bulk_request(actor=staff, description="bench", **request)
        wall, runs = time.perf_counter(), 0
        while action.status in bulk_actions.UNFINISHED:
            action = bulk_actions.member_bulk_run(action.pk) or MemberBulkAction.objects.get(pk=action.pk)
            runs += 1
        wall = time.perf_counter() - wall
        if action.status != "done" or action.done_count != handled:
            print(f"BULK kind={name} failed status={action.status} done={action.done_count} of={handled} "
                  f"failure={action.failure}")
            return False
        print(f"BULK kind={name} members={handled} seconds={wall:.1f} per_member_ms={wall * 1000 / handled:.2f} "
              f"runs={runs}", flush=True)
        return True

    def pending_again():
        Member.objects.filter(pk__in=pending).update(status="pending", verified_at=None, verified_by=None)

    try:
        if not timed("verify", len(pending), kind="verify", model=PendingMember, query_string=""):
            return 1
        pending_again()
        sample = list(Member.objects.filter(pk__in=pending[:ONE_BY_ONE]))
        wall = time.perf_counter()
        for member in sample:  # as the request did before
            services.member_verify(actor=staff, member=member)
        wall = time.perf_counter() - wall
        print(f"BULK kind=verify_one_by_one members={len(sample)} per_member_ms={wall * 1000 / len(sample):.2f}",
              flush=True)
        moving = Member.objects.filter(organization=largest, status="active").count()
        for name, source, target in (("transfer", largest, beside), ("transfer_back", beside, largest)):
            if not timed(name, moving, kind="transfer", to_organization=target,
                         query_string=f"union={source.pk}&status__exact=active"):
                return 1
        _void_timings()
    finally:
        pending_again()
        MemberTransfer.objects.filter(transferred_by=staff, transferred_at__gte=started).delete()
        AuditLog.objects.filter(actor=staff, created_at__gte=started).delete()
        Notification.objects.filter(event__in=["member_verified", "member_transferred"],
                                    created_at__gte=started).delete()
        MemberBulkAction.objects.filter(requested_by=staff, requested_at__gte=started).delete()
        Member.objects.filter(organization=beside).update(organization=largest)
        beside.delete()
        _empty_the_queue()
    return 0


def _void_timings() -> None:
    from django.db import transaction
    from django.db.models import Count

    from benefits import coupon_services
    from benefits.models import Coupon
    from members.models import User

    city = User.objects.get_by_phone("13900000001")
    batch = (Coupon.objects.filter(status="issued").values("batch").annotate(unused=Count("pk"))
             .order_by("-unused")[0]["batch"])

    class Undone(Exception):
        pass

    for name in ("void_batch", "void_one_by_one"):
        try:
            with transaction.atomic():
                wall = time.perf_counter()
                if name == "void_batch":
                    voided = coupon_services.coupons_void(actor=city, coupons=Coupon.objects.filter(batch=batch),
                                                          reason="bench")
                else:
                    sample = list(Coupon.objects.filter(batch=batch, status="issued")[:ONE_BY_ONE])
                    for coupon in sample:
                        coupon_services.coupon_void(actor=city, coupon=coupon, reason="bench")
                    voided = len(sample)
                wall = time.perf_counter() - wall
                raise Undone
        except Undone:
            print(f"BULK kind={name} coupons={voided} seconds={wall:.2f} per_coupon_ms={wall * 1000 / voided:.3f}",
                  flush=True)


def _empty_the_queue() -> None:
    from unionportal.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(app.conf.task_default_queue)


if __name__ == "__main__":
    sys.exit(main())
