import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from members.models import Member, Organization, PersonalDataAccess, RosterImport, StaffAssignment
from members.rules import credit_code_check_character

from ..factories import make_member, make_staff, make_user
from .builders import new_id_number, new_phone

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_search_by_full_id_number_phone_card_and_name(world):
    tree = world["tree"]
    wanted = make_member(tree["enterprise_a"], user=make_user(name="黄国强"))
    make_member(tree["enterprise_a"], user=make_user(name="陈秀英"))
    client = logged_in(world["people"]["street_staff"])
    for term in (wanted.id_number, wanted.user.phone, wanted.card_number, "黄国"):
        page = client.get("/admin/members/member/", {"q": term}).content.decode()
        assert wanted.card_number in page and "陈秀英" not in page, term
    partial = client.get("/admin/members/member/", {"q": wanted.id_number[:12]}).content.decode()
    assert wanted.card_number not in partial


def test_queue_lists_pending_oldest_first_with_waiting_time(world):
    tree = world["tree"]
    newer = make_member(tree["enterprise_a"], status="pending")
    older = make_member(tree["enterprise_a"], status="pending")
    Member.objects.filter(pk=older.pk).update(joined_at=timezone.now() - timedelta(days=4, hours=2))
    page = logged_in(world["people"]["street_staff"]).get("/admin/members/pendingmember/").content.decode()
    assert page.index(older.card_number) < page.index(newer.card_number)
    assert "4 天 2 小时" in page or "4 d 2 h" in page


def test_bulk_verify_and_reject_through_actions(world):
    tree = world["tree"]
    first, second = (make_member(tree["enterprise_a"], status="pending") for _ in range(2))
    client = logged_in(world["people"]["street_staff"])
    response = client.post("/admin/members/pendingmember/", {
        "action": "verify_selected", "_selected_action": [first.pk]})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "active" and first.verified_by == world["people"]["street_staff"]
    ask = client.post("/admin/members/pendingmember/", {"action": "reject_selected", "_selected_action": [second.pk]})
    assert ask.status_code == 200 and "reason" in ask.content.decode()
    client.post("/admin/members/pendingmember/", {
        "action": "reject_selected", "_selected_action": [second.pk], "apply": "1", "reason": "不是本企业职工"})
    second.refresh_from_db()
    assert second.status == "rejected" and second.rejection_reason == "不是本企业职工"


def test_reveal_needs_the_permission_and_is_logged(world):
    member = make_member(world["tree"]["enterprise_a"])
    staff = world["people"]["district_a_staff"]
    client = logged_in(staff)
    assert "Reveal" not in client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    StaffAssignment.objects.filter(user=staff).update(can_reveal_personal_data=True)
    change_page = client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert "reveal/id_number/" in change_page and member.id_number not in change_page
    assert client.get(f"/admin/members/member/{member.pk}/reveal/id_number/").status_code == 405
    response = client.post(f"/admin/members/member/{member.pk}/reveal/id_number/")
    assert response.status_code == 200 and member.id_number in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    log = PersonalDataAccess.objects.get()
    assert (log.staff, log.member, log.field) == (staff, member, "id_number")


def test_staff_cannot_grant_above_their_role_or_outside_their_tree(world):
    tree = world["tree"]
    person = make_user(name="新干部")
    reviewer = world["people"]["street_staff"]
    StaffAssignment.objects.filter(user=reviewer).update(role="admin")  # may add, but is a plain admin
    client = logged_in(world["people"]["enterprise_staff"])
    # outside the tree: the union is not a choice
    response = client.post("/admin/members/staffassignment/add/", {
        "phone": person.phone, "organization": tree["district_a"].pk, "role": "viewer"})
    assert response.status_code == 200 and not StaffAssignment.objects.filter(user=person).exists()
    # reveal permission the granter does not hold
    response = client.post("/admin/members/staffassignment/add/", {
        "phone": person.phone, "organization": tree["enterprise_a"].pk, "role": "viewer",
        "can_reveal_personal_data": "on"})
    assert response.status_code == 200 and not StaffAssignment.objects.filter(user=person).exists()
    StaffAssignment.objects.filter(user=world["people"]["enterprise_staff"]).update(role="reviewer")
    StaffAssignment.objects.filter(user=world["people"]["street_staff"]).update(role="admin")
    client = logged_in(world["people"]["street_staff"])
    StaffAssignment.objects.filter(user=world["people"]["street_staff"]).update(role="admin")
    response = client.post("/admin/members/staffassignment/add/", {
        "phone": person.phone, "organization": tree["enterprise_a"].pk, "role": "viewer"})
    assert response.status_code == 302
    granted = StaffAssignment.objects.get(user=person)
    assert granted.organization == tree["enterprise_a"] and granted.role == "viewer"
    person.refresh_from_db()
    assert person.is_staff
    # nobody edits their own assignment
    own = StaffAssignment.objects.get(user=world["people"]["street_staff"])
    assert client.get(f"/admin/members/staffassignment/{own.pk}/change/").status_code == 200
    client.post(f"/admin/members/staffassignment/{own.pk}/change/", {"organization": tree["city"].pk, "role": "admin"})
    own.refresh_from_db()
    assert own.organization == tree["street_a"]


def test_a_reviewer_cannot_grant_admin(world):
    tree = world["tree"]
    person = make_user()
    StaffAssignment.objects.filter(user=world["people"]["district_a_staff"]).update(role="reviewer")
    client = logged_in(world["people"]["district_a_staff"])
    assert client.get("/admin/members/staffassignment/add/").status_code == 403
    staff = make_staff(tree["district_a"], role="admin")
    StaffAssignment.objects.filter(user=staff).update(role="admin")
    client = logged_in(staff)
    # an admin may grant admin, but not make anyone a superuser-level city admin
    response = client.post("/admin/members/staffassignment/add/", {
        "phone": person.phone, "organization": tree["city"].pk, "role": "admin"})
    assert response.status_code == 200 and not StaffAssignment.objects.filter(user=person).exists()


def test_organization_children_only_inside_the_tree_with_a_valid_credit_code(world):
    tree = world["tree"]
    client = logged_in(world["people"]["district_a_staff"])
    body = "91350503MA2Y00001"
    good = body + credit_code_check_character(body)
    bad = body + ("0" if good[-1] != "0" else "1")
    base = {"kind": "enterprise", "name": "泉州新企业有限公司工会", "division_code": "350503", "is_active": "on"}
    response = client.post("/admin/members/organization/add/", {**base, "parent": tree["street_a"].pk, "credit_code": bad})
    assert response.status_code == 200 and "校验" in response.content.decode()
    response = client.post("/admin/members/organization/add/", {**base, "parent": tree["street_b"].pk, "credit_code": good})
    assert response.status_code == 200  # street B is not a choice for district A
    response = client.post("/admin/members/organization/add/", {**base, "parent": tree["street_a"].pk,
                                                                "kind": "district", "credit_code": ""})
    assert response.status_code == 200
    response = client.post("/admin/members/organization/add/", {**base, "parent": tree["street_a"].pk, "credit_code": good})
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Organization.objects.get(name=base["name"])
    assert Organization.objects.get_parent(created) == tree["street_a"] and created.credit_code == good
    assert created.ancestor_names == ["测试市总工会", "甲区总工会", "甲街道总工会"]
    assert client.get("/admin/members/organization/", {"q": "甲区 新企业"}).content.decode().count(base["name"]) >= 1


def _roster(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证号", "手机号", "职工类别", "一线职工"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.name = "花名册.xlsx"
    buffer.seek(0)
    return buffer


def test_roster_import_preview_commit_and_twice_creates_nothing(world):
    tree = world["tree"]
    existing = make_member(tree["enterprise_a"])
    good_id, good_phone = new_id_number(), new_phone()
    rows = [
        ["王美玲", good_id, good_phone, "快递员", "是"],
        ["吴文斌", good_id[:17] + ("0" if good_id[17] != "0" else "1"), new_phone(), "", ""],
        ["许静", existing.id_number, new_phone(), "employee", "否"],
        ["施伟", new_id_number(), "12345", "外星人", ""],
    ]
    content = _roster(rows).getvalue()
    client = logged_in(world["people"]["enterprise_staff"])
    assert client.get("/admin/members/member/import/").status_code == 200

    preview = client.post("/admin/members/member/import/", {"organization": tree["enterprise_a"].pk,
                                                            "file": _named(content)})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "校验码" in page and "手机号" in page and "职工类别" in page
    assert good_id not in page and good_phone not in page  # masked in the preview too
    upload_row = RosterImport.objects.get()
    from django.db import connection

    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("select rows from members_rosterimport where id = %s", [upload_row.pk])
        assert good_id not in cursor.fetchone()[0]
    before = Member.objects.count()
    done = client.post("/admin/members/member/import/", {"commit": upload_row.pk})
    assert done.status_code == 302
    assert Member.objects.count() == before + 1
    imported = Member.objects.get(name="王美玲")
    assert imported.status == "active" and imported.worker_category == "courier" and imported.is_frontline
    assert imported.verified_by == world["people"]["enterprise_staff"]
    assert RosterImport.objects.get().rows == ""
    # the same file again: nothing new
    client.post("/admin/members/member/import/", {"organization": tree["enterprise_a"].pk, "file": _named(content)})
    again = RosterImport.objects.order_by("-pk").first()
    client.post("/admin/members/member/import/", {"commit": again.pk})
    assert Member.objects.count() == before + 1
    # committing twice does nothing either
    client.post("/admin/members/member/import/", {"commit": upload_row.pk})
    assert Member.objects.count() == before + 1


def _named(content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("花名册.xlsx", content)


ADMIN_PAGES = [
    "/admin/", "/admin/members/member/", "/admin/members/member/?status=pending&worker_category=courier",
    "/admin/members/pendingmember/", "/admin/members/organization/", "/admin/members/organization/?q=丰泽",
    "/admin/members/organization/add/", "/admin/members/staffassignment/", "/admin/members/staffassignment/add/",
    "/admin/members/user/", "/admin/members/user/add/", "/admin/members/consentversion/",
    "/admin/members/personaldataaccess/", "/admin/members/rosterimport/", "/admin/members/member/import/",
    "/admin/members/member/export/?status__exact=active", "/admin/members/memberexport/",
]


def test_every_members_admin_page_renders_for_the_city_superuser(demo):
    from members.models import User

    client = logged_in(User.objects.get_by_phone("13900000001"))
    member = Member.objects.select_related("user").filter(organization__name="泉州鲤中纺织有限公司工会").first()
    for url in ADMIN_PAGES + [f"/admin/members/member/{member.pk}/change/",
                              f"/admin/members/pendingmember/{member.pk}/change/"]:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        page = response.content.decode()
        assert member.id_number not in page and member.user.phone not in page, url


def test_union_filter_drills_down_without_listing_everything(demo):
    from members.models import User

    client = logged_in(User.objects.get_by_phone("13900000002"))  # 鲤城区 admin
    licheng = Organization.objects.get(name="鲤城区总工会")
    lizhong = Organization.objects.get(name="鲤中街道总工会")
    page = client.get("/admin/members/member/", {"union": lizhong.pk}).content.decode()
    assert f"?union={licheng.pk}" in page and "鲤中街道辖区制造企业工会" in page
    fengze = Organization.objects.get(name="丰泽区总工会")
    outside = client.get("/admin/members/member/", {"union": fengze.pk}).content.decode()
    assert "0 会员" in outside or "0 条" in outside or "0 " in outside


def test_transfer_action_moves_members_inside_the_tree(world):
    tree = world["tree"]
    member = make_member(tree["enterprise_a"])
    target = Organization.objects.add_child(tree["street_a"], dict(kind="joint", name="甲联合工会"))
    client = logged_in(world["people"]["district_a_staff"])
    ask = client.post("/admin/members/member/", {"action": "transfer_selected", "_selected_action": [member.pk]})
    assert ask.status_code == 200 and "autocomplete" in ask.content.decode()
    client.post("/admin/members/member/", {"action": "transfer_selected", "_selected_action": [member.pk],
                                           "apply": "1", "organization": target.pk, "reason": "换工作"})
    member.refresh_from_db()
    assert member.organization == target and member.transfers.get().reason == "换工作"
    change = client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert "甲联合工会" in change and "换工作" in change


def test_reviewers_verify_members_but_do_not_edit_unions_or_staff(world):
    tree = world["tree"]
    reviewer = world["people"]["street_staff"]
    viewer = make_staff(tree["enterprise_a"], role="viewer")
    client = logged_in(reviewer)
    union = tree["enterprise_a"]
    client.post(f"/admin/members/organization/{union.pk}/change/", {"name": "改名工会", "division_code": "",
                                                                     "credit_code": "", "is_active": "on"})
    union.refresh_from_db()
    assert union.name == "甲企业工会"
    grant = StaffAssignment.objects.get(user=viewer)
    client.post(f"/admin/members/staffassignment/{grant.pk}/change/", {"organization": union.pk, "role": "reviewer"})
    grant.refresh_from_db()
    assert grant.role == "viewer"
