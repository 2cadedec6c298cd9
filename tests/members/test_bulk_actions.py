"""Bulk member actions: "select all" verifies, rejects or transfers a whole list in the background,
one member per transaction, resumable, stoppable, and never twice for a member."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from members import bulk_actions
from members.models import Member, MemberBulkAction, MemberTransfer, Organization, StaffAssignment
from unionportal.core.errors import DomainError
from unionportal.core.models import AuditLog, Notification

from ..factories import make_member, make_staff, make_tree
from ..support.concurrency import at_once
from ..support.workers import wait_for

MEMBERS = "/admin/members/member/"
PENDING = "/admin/members/pendingmember/"
ACTIONS = "/admin/members/memberbulkaction/"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def second_union(street, name="甲联合工会"):
    street.refresh_from_db()  # the tree's child count moved since it was made
    return Organization.objects.add_child(street, dict(kind="joint", name=name))


def select_all(client, list_url, action, query="", **fields):
    """The admin's "select all N": the page's boxes ticked, then the whole list chosen."""
    return client.post(list_url + query, {"action": action, "_selected_action": ["1"], "select_across": "1",
                                          **fields})


@pytest.mark.django_db
def test_select_all_transfer_is_confirmed_then_a_worker_moves_every_member_of_the_list(
        world, django_capture_on_commit_callbacks):
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    target = second_union(tree["street_a"])
    moving = [make_member(tree["enterprise_a"]) for _ in range(3)] + [world["people"]["member"].member]
    staying = make_member(tree["enterprise_a"], status="pending")
    elsewhere = make_member(tree["enterprise_b"])
    client = logged_in(staff)

    confirm = select_all(client, MEMBERS, "transfer_selected", "?status__exact=active&p=2")
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "状态：正式会员" in page and "会员人数：4" in page
    assert 'name="organization"' in page and not MemberBulkAction.objects.exists()  # nothing before confirming

    with django_capture_on_commit_callbacks() as queued:
        answer = select_all(client, MEMBERS, "transfer_selected", "?status__exact=active&p=2",
                            apply="1", organization=target.pk, reason="企业合并")
    assert answer.status_code == 302 and answer["Location"] == ACTIONS
    assert len(queued) == 1  # the worker is asked once the action is committed
    action = MemberBulkAction.objects.get()
    assert (action.kind, action.status, action.query_string) == ("transfer", "queued", "status__exact=active")

    done = bulk_actions.member_bulk_run(action.pk)
    assert (done.status, done.member_count, done.done_count, done.skipped_count) == ("done", 4, 4, 0)
    assert bulk_actions.member_bulk_run(action.pk) is None  # a second delivery does nothing
    assert set(Member.objects.filter(organization=target).values_list("pk", flat=True)) == {m.pk for m in moving}
    assert MemberTransfer.objects.filter(reason="企业合并", transferred_by=staff).count() == 4
    staying.refresh_from_db(), elsewhere.refresh_from_db()
    assert staying.organization == tree["enterprise_a"] and elsewhere.organization == tree["enterprise_b"]
    assert AuditLog.objects.filter(action="member_transferred").count() == 4
    assert AuditLog.objects.filter(action="member_bulk_requested", object_id=str(action.pk)).count() == 1
    assert Notification.objects.filter(event="member_transferred").count() == 4

    listed = client.get(ACTIONS).content.decode()
    assert "会籍转移" in listed and "已完成" in listed and "已处理 4 / 4 人" in listed


@pytest.mark.django_db
def test_members_who_join_after_the_request_are_left_out(world):
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    target = second_union(tree["street_a"])
    action = bulk_actions.member_bulk_request(
        actor=staff, kind="transfer", query_string=f"union={tree['enterprise_a'].pk}", description="",
        to_organization=target)
    late = make_member(tree["enterprise_a"])
    assert bulk_actions.member_bulk_run(action.pk).done_count == 1  # the world's own member only
    late.refresh_from_db()
    assert late.organization == tree["enterprise_a"]


@pytest.mark.django_db
def test_select_all_on_the_pending_queue_verifies_every_application_in_the_tree(world):
    tree, staff = world["tree"], world["people"]["street_staff"]  # a reviewer may verify
    applications = [make_member(tree["enterprise_a"], status="pending") for _ in range(3)]
    other_district = make_member(tree["enterprise_b"], status="pending")
    client = logged_in(staff)
    confirm = select_all(client, PENDING, "verify_selected")
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "会员人数：3" in page and "仅处理其中待审核的申请" in page
    assert select_all(client, PENDING, "verify_selected", apply="1")["Location"] == ACTIONS
    action = MemberBulkAction.objects.get()
    assert action.member_list == "pending"
    assert bulk_actions.member_bulk_run(action.pk).done_count == 3
    statuses = Member.objects.filter(pk__in=[m.pk for m in applications]).values_list("status", flat=True)
    assert set(statuses) == {"active"}
    other_district.refresh_from_db()
    assert other_district.status == "pending"


@pytest.mark.django_db
def test_verifying_a_whole_member_list_handles_only_its_pending_applications(world):
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    pending = make_member(tree["enterprise_a"], status="pending")
    left = make_member(tree["enterprise_a"], status="left")
    action = bulk_actions.member_bulk_request(actor=staff, kind="verify", query_string="", description="")
    done = bulk_actions.member_bulk_run(action.pk)
    assert (done.done_count, done.skipped_count) == (1, 0)
    pending.refresh_from_db(), left.refresh_from_db()
    assert pending.status == "active" and left.status == "left"


@pytest.mark.django_db
def test_a_bulk_rejection_needs_a_reason_and_queues_nothing_without_one(world):
    make_member(world["tree"]["enterprise_a"], status="pending")
    client = logged_in(world["people"]["district_a_staff"])
    answer = select_all(client, PENDING, "reject_selected", apply="1", reason="  ")
    assert answer.status_code == 200 and "该字段是必填项" in answer.content.decode()
    assert not MemberBulkAction.objects.exists()
    with pytest.raises(DomainError) as refused:
        bulk_actions.member_bulk_request(actor=world["people"]["district_a_staff"], kind="reject",
                                         query_string="", description="", reason=" ")
    assert refused.value.code == "reason_required"


@pytest.mark.django_db
def test_a_transfer_out_of_the_requesters_tree_is_refused_before_it_is_queued(world):
    tree = world["tree"]
    with pytest.raises(DomainError) as refused:
        bulk_actions.member_bulk_request(actor=world["people"]["district_a_staff"], kind="transfer",
                                         query_string="", description="", to_organization=tree["enterprise_b"])
    assert refused.value.code == "organization_required" and refused.value.field == "organization"
    viewer = make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER)
    with pytest.raises(DomainError) as not_allowed:
        bulk_actions.member_bulk_request(actor=viewer, kind="verify", query_string="", description="")
    assert not_allowed.value.status == 403 and not MemberBulkAction.objects.exists()


@pytest.mark.django_db
def test_a_run_works_for_its_slice_then_the_next_run_goes_on_where_it_stopped(
        world, django_capture_on_commit_callbacks):
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    target = second_union(tree["street_a"])
    for _ in range(2):
        make_member(tree["enterprise_a"])
    action = bulk_actions.member_bulk_request(actor=staff, kind="transfer", query_string="", description="",
                                              to_organization=target)
    with django_capture_on_commit_callbacks() as queued:
        first = bulk_actions.member_bulk_run(action.pk, slice_seconds=0)
    assert (first.status, first.done_count, first.run, first.member_count) == ("queued", 1, 1, 3)
    assert [callback.__qualname__.split(".")[0] for callback in queued] == ["notification_send", "_queue_rest"]
    second = bulk_actions.member_bulk_run(action.pk)
    assert (second.status, second.done_count, second.run) == ("done", 3, 2)
    assert MemberTransfer.objects.count() == 3  # nobody moved twice


@pytest.mark.django_db
def test_a_run_that_lost_the_action_rolls_its_member_back(world):
    """A run thought dead was taken over: its next member's change is undone, not doubled."""
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    target = second_union(tree["street_a"])
    member = world["people"]["member"].member
    action = bulk_actions.member_bulk_request(actor=staff, kind="transfer", query_string="", description="",
                                              to_organization=target)
    MemberBulkAction.objects.filter(pk=action.pk).update(status="running", run=2)
    action.run = 1  # the older run
    assert bulk_actions._handle(action, staff, member) is False
    member.refresh_from_db()
    assert member.organization == tree["enterprise_a"] and not MemberTransfer.objects.exists()
    assert not AuditLog.objects.filter(action="member_transferred").exists()


@pytest.mark.django_db
def test_the_tidy_up_hands_out_again_what_went_silent(world, settings):
    from members.tasks import member_bulk_actions_tidy

    staff = world["people"]["district_a_staff"]
    action = bulk_actions.member_bulk_request(actor=staff, kind="verify", query_string="", description="")
    assert bulk_actions.member_bulk_actions_tidy() == 0  # just asked for: its delivery is on its way
    MemberBulkAction.objects.filter(pk=action.pk).update(
        status="running", run=1, heartbeat_at=timezone.now() - timedelta(minutes=11))
    assert bulk_actions.member_bulk_actions_tidy() == 1
    assert bulk_actions.member_bulk_run(action.pk).run == 2  # the silent run is taken over
    assert member_bulk_actions_tidy.name in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


@pytest.mark.django_db
def test_staff_stop_an_action_where_it_is(world):
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    action = bulk_actions.member_bulk_request(actor=staff, kind="verify", query_string="", description="")
    pending = make_member(tree["enterprise_a"], status="pending")
    viewer = logged_in(make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER))
    assert "stop_selected" not in viewer.get(ACTIONS).content.decode()
    client = logged_in(staff)
    answer = client.post(ACTIONS, {"action": "stop_selected", "_selected_action": [action.pk]}, follow=True)
    assert "1 个操作已停止" in answer.content.decode()
    action.refresh_from_db()
    assert action.status == "stopped" and action.finished_at is not None
    assert bulk_actions.member_bulk_run(action.pk) is None
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert AuditLog.objects.filter(action="member_bulk_stopped", object_id=str(action.pk)).exists()
    page = client.get(f"{ACTIONS}{action.pk}/change/").content.decode()
    local = timezone.localtime(action.requested_at)  # as every other time on the page, not UTC
    assert f"审核通过申请 · {local:%Y-%m-%d %H:%M}" in page and "会员范围" in page and "会员人数" in page


@pytest.mark.django_db
def test_a_requester_whose_role_was_lowered_gets_a_failed_action(world):
    staff = world["people"]["district_a_staff"]
    make_member(world["tree"]["enterprise_a"], status="pending")
    action = bulk_actions.member_bulk_request(actor=staff, kind="verify", query_string="", description="")
    StaffAssignment.objects.filter(user=staff).update(role=StaffAssignment.Role.VIEWER)
    failed = bulk_actions.member_bulk_run(action.pk)
    assert failed.status == "failed" and failed.failure == "您的角色已不允许此操作。" and failed.done_count == 0


@pytest.mark.django_db
def test_a_requester_moved_to_another_district_does_not_act_there(world):
    """What they confirmed was district A's queue: moved to B, the action stops rather than
    handle B's applications, which they never saw."""
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    make_member(tree["enterprise_a"], status="pending")
    theirs_now = make_member(tree["enterprise_b"], status="pending")
    action = bulk_actions.member_bulk_request(actor=staff, kind="verify", query_string="", description="")
    StaffAssignment.objects.filter(user=staff).update(organization=tree["district_b"])
    failed = bulk_actions.member_bulk_run(action.pk)
    assert failed.status == "failed" and failed.failure == "您在工会组织树中的范围已变更，请从列表重新发起。"
    theirs_now.refresh_from_db()
    assert theirs_now.status == "pending"


@pytest.mark.django_db
def test_a_requester_moved_up_the_tree_still_acts_only_where_they_asked(world):
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    asked_for = make_member(tree["enterprise_a"], status="pending")
    elsewhere = make_member(tree["enterprise_b"], status="pending")
    action = bulk_actions.member_bulk_request(actor=staff, kind="verify", query_string="", description="")
    StaffAssignment.objects.filter(user=staff).update(organization=tree["city"])
    assert bulk_actions.member_bulk_run(action.pk).done_count == 1
    asked_for.refresh_from_db(), elsewhere.refresh_from_db()
    assert (asked_for.status, elsewhere.status) == ("active", "pending")


@pytest.mark.django_db
def test_members_the_service_refuses_are_counted_with_their_reason(world):
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    target = second_union(tree["street_a"])
    make_member(target)  # already there
    action = bulk_actions.member_bulk_request(actor=staff, kind="transfer", query_string="", description="",
                                              to_organization=target)
    done = bulk_actions.member_bulk_run(action.pk)
    assert (done.member_count, done.done_count, done.skipped_count) == (2, 1, 1)
    assert done.skipped_reasons == {"该会员已属于这个工会。": 1}
    client = logged_in(staff)
    assert "已处理 2 / 2 人，其中 1 人保持不变" in client.get(ACTIONS).content.decode()
    assert "该会员已属于这个工会。 (1)" in client.get(f"{ACTIONS}{action.pk}/change/").content.decode()


@pytest.mark.django_db
def test_only_staff_whose_tree_holds_the_requester_see_an_action(world):
    people = world["people"]
    action = bulk_actions.member_bulk_request(actor=people["district_a_staff"], kind="verify", query_string="",
                                              description="")
    assert logged_in(people["city_staff"]).get(f"{ACTIONS}{action.pk}/change/").status_code == 200
    for other in ("district_b_staff", "street_staff"):
        assert logged_in(people[other]).get(f"{ACTIONS}{action.pk}/change/").status_code == 302  # "not found"


@pytest.mark.django_db(transaction=True)
def test_two_runs_delivered_at_once_move_each_member_exactly_once():
    """Two deliveries of the same action race for it; the database's conditional claim and the
    place kept in each member's transaction let each member be moved once."""
    tree = make_tree()
    staff = make_staff(tree["district_a"])
    target = second_union(tree["street_a"])
    for _ in range(40):
        make_member(tree["enterprise_a"])
    action = bulk_actions.member_bulk_request(actor=staff, kind="transfer", query_string="", description="",
                                              to_organization=target)
    results = at_once(lambda: bulk_actions.member_bulk_run(action.pk))
    assert sorted(result is None for result in results) == [False, True]
    action.refresh_from_db()
    assert (action.status, action.done_count, action.skipped_count) == ("done", 40, 0)
    assert MemberTransfer.objects.count() == 40 == Member.objects.filter(organization=target).count()


@pytest.mark.worker
def test_a_real_worker_carries_out_the_action_the_back_office_asked_for(celery_worker_process):
    tree = make_tree()
    staff = make_staff(tree["street_a"], name="街道干部")
    applications = [make_member(tree["enterprise_a"], status="pending") for _ in range(3)]
    client = logged_in(staff)
    assert select_all(client, PENDING, "verify_selected", apply="1").status_code == 302
    action = MemberBulkAction.objects.get(requested_by=staff)
    assert wait_for(lambda: MemberBulkAction.objects.get(pk=action.pk).status == "done", 60), "no worker ran it"
    assert set(Member.objects.filter(pk__in=[m.pk for m in applications]).values_list("status", flat=True)) == {
        "active"}


@pytest.mark.django_db
def test_asked_for_while_the_broker_is_down_the_action_waits_for_the_tidy_up(
        world, settings, django_capture_on_commit_callbacks):
    """Redis down: the back office still takes the request (nothing lost, no 500), and the
    tidy-up hands the action out once it has waited longer than a delivery would."""
    from ..support.faults import redis_unreachable

    pending = make_member(world["tree"]["enterprise_a"], status="pending")
    client = logged_in(world["people"]["district_a_staff"])
    with redis_unreachable(settings), django_capture_on_commit_callbacks(execute=True):
        answer = select_all(client, PENDING, "verify_selected", apply="1")
    assert answer.status_code == 302 and answer["Location"] == ACTIONS
    action = MemberBulkAction.objects.get()
    assert action.status == "queued"
    later = timezone.now() + timedelta(minutes=11)
    assert bulk_actions.member_bulk_actions_tidy(now=later) == 1
    assert bulk_actions.member_bulk_run(action.pk).status == "done"
    pending.refresh_from_db()
    assert pending.status == "active"
