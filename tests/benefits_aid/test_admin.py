"""The back office: the claims queue and its actions, plans, bulk enrolment, payment export."""

import io
import re
from decimal import Decimal as D
from urllib.parse import parse_qsl

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from benefits import aid_services
from benefits.models import AidEnrolment, AidPayment
from members.models import StaffAssignment

from ..factories import make_member, make_staff
from .builders import add_document, file_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved_claim(enrolled, reviewer):
    claim = file_claim(enrolled, total_cost=D("300000"), insurance_paid=D("50000"), self_paid=D("250000"),
                       payee_bank="中国工商银行泉州分行", payee_account="6222020200112233445")
    add_document(claim)
    aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
    return claim


def test_queue_lists_claims_in_scope_only(client, enrolled, tree, reviewer):
    mine = file_claim(enrolled, hospital="甲医院")
    other = make_member(tree["enterprise_b"])
    aid_services.aid_enrolment_create(member=other, plan=mine.plan, payment_reference="x", actor=other.user)
    theirs = file_claim(other, hospital="乙医院")
    client.force_login(reviewer)
    page = client.get("/admin/benefits/aidclaim/")
    assert page.status_code == 200
    assert "甲医院" in page.content.decode() and "乙医院" not in page.content.decode()
    assert client.get(f"/admin/benefits/aidclaim/{theirs.pk}/change/").status_code == 302  # "does not exist"


def test_change_page_shows_the_breakdown_readably_and_money_read_only(client, approved_claim, reviewer):
    client.force_login(reviewer)
    page = client.get(f"/admin/benefits/aidclaim/{approved_claim.pk}/change/").content.decode()
    assert "补助金额：155,550.00 元" in page
    assert "起付线" in page and "95%" in page
    assert 'name="payout"' not in page and 'name="status"' not in page
    assert "6222020200112233445" not in page and "*3445" in page


def test_actions_approve_and_reject_with_reason(client, enrolled, reviewer):
    first, second = file_claim(enrolled), file_claim(enrolled)
    add_document(first)
    client.force_login(reviewer)
    response = client.post("/admin/benefits/aidclaim/", {"action": "approve_selected",
                                                         ACTION_CHECKBOX_NAME: [first.pk, second.pk]}, follow=True)
    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "approved" and first.payout == D("300.00")
    assert second.status == "submitted"  # no document: left alone with a message
    assert "至少要有一份材料" in response.content.decode()
    form = client.post("/admin/benefits/aidclaim/", {"action": "reject_selected", ACTION_CHECKBOX_NAME: [second.pk]})
    assert form.status_code == 200 and "reason" in form.content.decode()
    client.post("/admin/benefits/aidclaim/", {"action": "reject_selected", ACTION_CHECKBOX_NAME: [second.pk],
                                              "apply": "1", "reason": "非住院费用"})
    second.refresh_from_db()
    assert second.status == "rejected" and second.reason == "非住院费用"


def test_viewer_has_no_review_actions(client, enrolled, tree):
    claim = file_claim(enrolled)
    add_document(claim)
    viewer = make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER)
    client.force_login(viewer)
    page = client.get("/admin/benefits/aidclaim/").content.decode()
    assert "approve_selected" not in page
    client.post("/admin/benefits/aidclaim/", {"action": "approve_selected", ACTION_CHECKBOX_NAME: [claim.pk]})
    claim.refresh_from_db()
    assert claim.status == "submitted"


def test_plan_terms_editable_only_by_superusers(client, plan, tree):
    city_admin = make_staff(tree["city"])
    district = make_staff(tree["district_a"])
    for user in (city_admin, district):
        client.force_login(user)
        page = client.get(f"/admin/benefits/aidplan/{plan.pk}/change/")
        assert page.status_code == 200 and 'name="segments"' not in page.content.decode()
        client.post(f"/admin/benefits/aidplan/{plan.pk}/change/", {"yearly_cap": "1.00"})
    plan.refresh_from_db()
    assert plan.yearly_cap == D("1000000.00")
    superuser = make_staff(tree["city"], is_superuser=True)
    client.force_login(superuser)
    page = client.get(f"/admin/benefits/aidplan/{plan.pk}/change/").content.decode()
    assert 'name="segments"' in page


def test_bulk_enrolment_from_the_member_list_and_from_xlsx(client, plan, tree):
    staff = make_staff(tree["enterprise_a"])
    members = [make_member(tree["enterprise_a"]) for _ in range(3)]
    outsider = make_member(tree["enterprise_b"])
    client.force_login(staff)
    book = Workbook()
    book.active.append(["姓名", "会员卡号"])
    book.active.append(["甲", members[0].card_number])
    book.active.append(["乙", outsider.card_number])  # not in this union: reported, not enrolled
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "roster.xlsx"
    response = client.post("/admin/benefits/aidenrolment/bulk/", {
        "plan": plan.pk, "organization": tree["enterprise_a"].pk, "payment_reference": "企业统缴-1",
        "roster": buffer}, follow=True)
    assert response.status_code == 200
    assert list(AidEnrolment.objects.values_list("member_id", flat=True)) == [members[0].pk]
    assert "第 3 行" in response.content.decode()
    client.post("/admin/benefits/aidenrolment/bulk/", {
        "plan": plan.pk, "organization": tree["enterprise_a"].pk, "payment_reference": "企业统缴-2"})
    assert AidEnrolment.objects.filter(plan=plan).count() == 3
    assert not AidEnrolment.objects.filter(member=outsider).exists()


def test_payment_batch_export_and_paid(client, approved_claim, tree):
    city_admin = make_staff(tree["city"])
    client.force_login(city_admin)
    # Approved claims are paid from the queue filtered to them (it opens on the waiting ones).
    client.post("/admin/benefits/aidclaim/?status=approved",
                {"action": "pay_selected", ACTION_CHECKBOX_NAME: [approved_claim.pk]})
    payment = AidPayment.objects.get()
    assert payment.total == D("155550.00")
    export = client.get(f"/admin/benefits/aidpayment/{payment.pk}/export/")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    row = [cell.value for cell in sheet[2]]
    assert row[1] == approved_claim.pk and row[5] == "6222020200112233445" and row[6] == 155550
    client.post("/admin/benefits/aidpayment/", {"action": "mark_paid", ACTION_CHECKBOX_NAME: [payment.pk],
                                                "apply": "1", "bank_reference": "ICBC-0701"})
    approved_claim.refresh_from_db()
    assert approved_claim.status == "paid"
    outsider = make_staff(tree["district_b"])
    client.force_login(outsider)
    assert client.get(f"/admin/benefits/aidpayment/{payment.pk}/export/").status_code == 404


def test_queue_search_finds_one_exact_value_through_indexes(client, enrolled, tree, reviewer):
    mine = file_claim(enrolled, hospital="甲医院", invoice_numbers=["FPX-0042"])
    neighbour = make_member(tree["enterprise_a"])
    aid_services.aid_enrolment_create(member=neighbour, plan=mine.plan, payment_reference="y", actor=neighbour.user)
    file_claim(neighbour, hospital="丙医院")
    outside = make_member(tree["enterprise_b"])  # another district: not the reviewer's
    aid_services.aid_enrolment_create(member=outside, plan=mine.plan, payment_reference="x", actor=outside.user)
    theirs = file_claim(outside, hospital="乙医院")
    client.force_login(reviewer)

    def found(term):
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/admin/benefits/aidclaim/", {"q": term})
        assert page.status_code == 200
        # Django's "=field" compared UPPER() of both sides (no index); ids were compared as text.
        assert not [q["sql"] for q in queries if "UPPER(" in q["sql"] or "::varchar" in q["sql"]]
        text = page.content.decode()
        return {name for name in ("甲医院", "乙医院", "丙医院") if name in text}

    assert found(str(mine.pk)) == {"甲医院"}
    assert found(" FPX-0042 ") == {"甲医院"}
    assert found(enrolled.card_number) == {"甲医院"}
    assert found(neighbour.card_number) == {"丙医院"}
    assert found(outside.card_number) == set() and found(str(theirs.pk)) == set()  # outside the tree
    assert found(enrolled.card_number[:-1]) == set()  # exactly: no prefix matches
    assert found("fpx-0042") == set()
    assert found("99999999999999999999999") == set()  # beyond bigint: nothing, not a database error


def test_enrolment_search_by_payment_reference_or_card_number(client, enrolled, tree):
    city_admin = make_staff(tree["city"], role=StaffAssignment.Role.ADMIN)
    client.force_login(city_admin)
    listed = client.get("/admin/benefits/aidenrolment/", {"q": "WX2026001"}).content.decode()
    assert enrolled.card_number in listed
    assert enrolled.card_number not in client.get("/admin/benefits/aidenrolment/", {"q": "WX2026002"}).content.decode()


def test_queue_counts_each_claims_documents(client, approved_claim, enrolled, reviewer):
    add_document(approved_claim, name="discharge.png")
    bare = file_claim(enrolled, hospital="乙医院")
    client.force_login(reviewer)
    listed = client.get("/admin/benefits/aidclaim/", {"status": "all"}).context_data["cl"].result_list
    assert {claim.pk: claim.document_total for claim in listed} == {approved_claim.pk: 2, bare.pk: 0}


def test_queue_opens_on_waiting_claims_and_keeps_the_others_a_click_away(client, approved_claim, enrolled, reviewer):
    waiting = file_claim(enrolled, hospital="乙医院")
    client.force_login(reviewer)

    def listed(params=None):
        page = client.get("/admin/benefits/aidclaim/", params or {})
        assert page.status_code == 200
        return {claim.pk for claim in page.context_data["cl"].result_list}, page.content.decode()

    shown, text = listed()
    assert shown == {waiting.pk}  # the approved claim waits for no reviewer
    assert "?status=all" in text and "?status=approved" in text  # both a click away
    assert listed({"status": "approved"})[0] == {approved_claim.pk}
    assert listed({"status": "all"})[0] == {waiting.pk, approved_claim.pk}
    assert listed({"status": "no-such-status"})[0] == set()
    # A claim searched by its number is found whatever its status, unless a status is chosen.
    assert listed({"q": str(approved_claim.pk)})[0] == {approved_claim.pk}
    assert listed({"q": str(approved_claim.pk), "status": "waiting"})[0] == set()
    # "Show all" beside the result count shows every claim, not the waiting ones again.
    show_all = re.search(r'<span class="small quiet">[^<]*<a href="\?([^"]*)"', listed()[1]).group(1)
    assert listed(dict(parse_qsl(show_all)))[0] == {waiting.pk, approved_claim.pk}
