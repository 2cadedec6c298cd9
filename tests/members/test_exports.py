"""Member exports: the list's filters kept, written in the background, for the requester alone."""

import io
import os
from datetime import timedelta

import pytest
from django.test import Client
from openpyxl import load_workbook

from members import exports
from members.models import MemberExport, StaffAssignment
from members.roster import roster_write
from unionportal.core.models import AuditLog

from ..factories import make_member
from ..support.concurrency import at_once
from ..support.workers import start_worker, stop_worker, wait_for

EXPORT_URL = "/admin/members/member/export/"


@pytest.fixture
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def sheet_rows(content) -> list[list[str]]:
    workbook = load_workbook(io.BytesIO(content))
    return [[str(cell) for cell in row] for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_the_filtered_list_is_written_later_and_downloaded_by_its_requester(
        world, private_root, django_capture_on_commit_callbacks):
    tree, staff = world["tree"], world["people"]["district_a_staff"]
    active = make_member(tree["enterprise_a"])
    pending = make_member(tree["enterprise_a"], status="pending")
    elsewhere = make_member(tree["enterprise_b"])
    client = logged_in(staff)

    confirm = client.get(EXPORT_URL, {"status__exact": "active", "p": "2"})
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "状态：正式会员" in page and "<form method=\"post\"" in page

    with django_capture_on_commit_callbacks() as queued:
        answer = client.post(EXPORT_URL + "?status__exact=active&p=2")
    assert answer.status_code == 302 and answer["Location"] == "/admin/members/memberexport/"
    assert len(queued) == 1  # the worker is asked once the export's row is committed
    export = MemberExport.objects.get(requested_by=staff)
    assert export.status == "queued" and export.query_string == "status__exact=active"  # the page is not a filter
    assert export.description == "状态：正式会员"

    built = exports.member_export_build(export.pk)
    assert built.status == "ready" and built.row_count == 2  # with the world's own member of enterprise A
    assert built.expires_at - built.finished_at == timedelta(hours=24)
    assert exports.member_export_build(export.pk) is None  # a second delivery writes nothing

    listed = client.get("/admin/members/memberexport/").content.decode()
    assert f"/admin/members/memberexport/{export.pk}/download/" in listed
    download = client.get(f"/admin/members/memberexport/{export.pk}/download/")
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    assert "attachment" in download["Content-Disposition"]
    rows = sheet_rows(b"".join(download.streaming_content))
    flat = str(rows)
    assert active.card_number in flat and active.masked_id_number in flat
    row = next(row for row in rows if row[5] == active.card_number)
    assert row[3] == "男" and row[6] == "正式会员" and row[8] in ("是", "否")  # labels, not stored values
    assert active.id_number not in flat and active.user.phone not in flat
    assert pending.card_number not in flat and elsewhere.card_number not in flat
    actions = set(AuditLog.objects.filter(object_id=str(export.pk)).values_list("action", flat=True))
    assert actions == {"member_export_requested", "member_export_downloaded"}


@pytest.mark.django_db
def test_no_other_staff_member_sees_or_downloads_an_export(world, private_root):
    tree, people = world["tree"], world["people"]
    make_member(tree["enterprise_a"])
    export = exports.member_export_request(actor=people["district_a_staff"], query_string="", description="")
    exports.member_export_build(export.pk)
    for other in (people["city_staff"], people["street_staff"], people["district_b_staff"]):
        client = logged_in(other)
        assert f"/{export.pk}/download/" not in client.get("/admin/members/memberexport/").content.decode()
        assert client.get(f"/admin/members/memberexport/{export.pk}/download/").status_code == 404
        assert client.get(f"/admin/members/memberexport/{export.pk}/change/").status_code == 302  # "not found"
    assert not AuditLog.objects.filter(action="member_export_downloaded").exists()


@pytest.mark.django_db
def test_a_staff_member_who_lost_their_assignment_gets_a_failed_export(world, private_root):
    staff = world["people"]["street_staff"]
    export = exports.member_export_request(actor=staff, query_string="", description="")
    StaffAssignment.objects.filter(user=staff).delete()
    failed = exports.member_export_build(export.pk)
    assert failed.status == "failed" and failed.failure == "您已无权查看会员。" and not failed.file


@pytest.mark.django_db
def test_more_rows_than_a_sheet_holds_go_on_to_the_next_sheet(world, tmp_path):
    from members.models import Member

    made = [make_member(world["tree"]["enterprise_a"]).pk for _ in range(5)]
    target = tmp_path / "members.xlsx"
    assert roster_write(Member.objects.filter(pk__in=made).order_by("pk"), target, rows_per_sheet=2) == 5
    workbook = load_workbook(target)
    assert [sheet.title for sheet in workbook.worksheets] == ["会员", "会员 2", "会员 3"]
    assert [sheet.max_row for sheet in workbook.worksheets] == [3, 3, 2]  # each with its header
    assert all(sheet["A1"].value == "真实姓名" for sheet in workbook.worksheets)


@pytest.mark.django_db
def test_an_expired_export_is_deleted_and_no_longer_downloadable(world, private_root):
    staff = world["people"]["enterprise_staff"]
    make_member(world["tree"]["enterprise_a"])
    export = exports.member_export_request(actor=staff, query_string="", description="")
    export = exports.member_export_build(export.pk)
    path = export.file.path
    assert os.path.exists(path)
    assert exports.member_exports_tidy(now=export.expires_at - timedelta(seconds=1))["expired"] == 0
    assert exports.member_exports_tidy(now=export.expires_at)["expired"] == 1
    export.refresh_from_db()
    assert export.status == "expired" and not export.file and not os.path.exists(path)
    answer = logged_in(staff).get(f"/admin/members/memberexport/{export.pk}/download/", follow=True)
    assert "此导出文件不可用" in answer.content.decode()


def test_the_tidy_up_is_scheduled(settings):
    from members.tasks import member_exports_tidy

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert member_exports_tidy.name in scheduled


@pytest.mark.django_db
def test_select_all_goes_to_the_background_and_ticked_rows_are_answered_at_once(world):
    tree, staff = world["tree"], world["people"]["street_staff"]
    first, second = make_member(tree["enterprise_a"]), make_member(tree["enterprise_a"])
    client = logged_in(staff)
    across = client.post("/admin/members/member/?worker_category__exact=courier", {
        "action": "export_selected", "_selected_action": [first.pk], "select_across": "1"})
    assert across.status_code == 302 and across["Location"] == EXPORT_URL + "?worker_category__exact=courier"
    ticked = client.post("/admin/members/member/", {"action": "export_selected", "_selected_action": [first.pk]})
    flat = str(sheet_rows(ticked.content))
    assert first.card_number in flat and second.card_number not in flat


@pytest.mark.django_db
def test_filters_the_list_cannot_read_are_refused_before_anything_is_queued(world):
    client = logged_in(world["people"]["city_staff"])
    answer = client.post(EXPORT_URL + "?no_such_field__exact=1", follow=True)
    assert "无法读取列表的筛选条件" in answer.content.decode()
    assert not MemberExport.objects.exists()


@pytest.fixture
def celery_worker_process(worker_queue, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    process = start_worker(worker_queue, extra_env={"PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT)})
    yield process
    stop_worker(process)


@pytest.mark.worker
def test_a_real_worker_writes_the_export_the_back_office_asked_for(celery_worker_process):
    from ..factories import make_staff, make_tree

    tree = make_tree()
    staff = make_staff(tree["street_a"], name="街道干部")
    members = [make_member(tree["enterprise_a"]) for _ in range(3)]
    make_member(tree["enterprise_b"])
    client = logged_in(staff)
    assert client.post(EXPORT_URL).status_code == 302
    export = MemberExport.objects.get(requested_by=staff)
    assert wait_for(lambda: MemberExport.objects.get(pk=export.pk).status == "ready", 60), "the worker wrote nothing"
    download = client.get(f"/admin/members/memberexport/{export.pk}/download/")
    rows = sheet_rows(b"".join(download.streaming_content))
    assert sorted(row[5] for row in rows[1:]) == sorted(member.card_number for member in members)


@pytest.mark.django_db(transaction=True)
def test_two_workers_handed_the_same_export_write_it_once(private_root):
    """A redelivered task (acks_late) meets the first run: the database's conditional claim
    lets exactly one of them write."""
    from ..factories import make_staff, make_tree

    tree = make_tree()
    staff = make_staff(tree["district_a"])
    for _ in range(30):
        make_member(tree["enterprise_a"])
    export = exports.member_export_request(actor=staff, query_string="", description="")
    results = at_once(lambda: exports.member_export_build(export.pk))
    assert sorted(result is None for result in results) == [False, True]
    export.refresh_from_db()
    assert export.status == "ready" and export.row_count == 30
    assert os.listdir(private_root / "exports" / "members") == [f"{export.pk}.xlsx"]


@pytest.mark.django_db
def test_a_file_its_storage_lost_is_refused_not_a_crash(world, private_root):
    staff = world["people"]["enterprise_staff"]
    export = exports.member_export_build(
        exports.member_export_request(actor=staff, query_string="", description="").pk)
    os.remove(export.file.path)
    answer = logged_in(staff).get(f"/admin/members/memberexport/{export.pk}/download/", follow=True)
    assert answer.status_code == 200 and "此导出文件不可用" in answer.content.decode()


@pytest.mark.django_db
def test_a_search_by_full_id_number_is_exported_but_kept_secret(world, private_root):
    from django.db import connection

    tree, staff = world["tree"], world["people"]["district_a_staff"]
    wanted, other = make_member(tree["enterprise_a"]), make_member(tree["enterprise_a"])
    client = logged_in(staff)
    assert client.post(EXPORT_URL + f"?q={wanted.id_number}").status_code == 302
    export = MemberExport.objects.get(requested_by=staff)
    assert wanted.id_number not in export.description and wanted.masked_id_number in export.description
    audited = AuditLog.objects.get(action="member_export_requested", object_id=str(export.pk))
    assert wanted.id_number not in str(audited.changes)
    with connection.cursor() as cursor:
        cursor.execute("SELECT query_string FROM members_memberexport WHERE id = %s", [export.pk])
        assert wanted.id_number not in cursor.fetchone()[0]  # ciphertext at rest
    export = exports.member_export_build(export.pk)
    assert export.row_count == 1
    rows = sheet_rows(export.file.read())
    assert rows[1][5] == wanted.card_number and other.card_number not in str(rows)
