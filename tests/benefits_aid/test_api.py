"""The aid endpoints of the partner contract, and who may call them."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from benefits import aid_services
from benefits.models import AidClaim, AidClaimDocument, AidEnrolment, AidPlan, MemberAidYear
from members.models import StaffAssignment
from unionportal.core.models import AuditLog
from unionportal.core.services import api_key_issue, api_token_issue

from ..factories import make_member, make_staff
from .builders import add_document, claim_fields, file_claim, pdf_bytes, plan_fields, png_bytes
from .terms import SEGMENTS_DATA

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        raw, _token = api_token_issue(user=user, lifetime=timedelta(hours=1))
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def recent_claim_fields(**overrides):
    today = timezone.localdate()
    fields = claim_fields(admitted_on=today - timedelta(days=6), discharged_on=today - timedelta(days=2), **overrides)
    fields.pop("kind")
    return {k: str(v) if not isinstance(v, list) else v for k, v in fields.items()}


@pytest.fixture
def current_plan(tree):
    year = timezone.localdate().year
    from datetime import date

    return aid_services.aid_plan_create(actor=None, organization=tree["city"], **plan_fields(
        year=year, coverage_starts_on=date(year, 1, 1), coverage_ends_on=date(year, 12, 31)))


@pytest.fixture
def enrolled_now(member, current_plan):
    aid_services.aid_enrolment_create(member=member, plan=current_plan, payment_reference="WX1", actor=member.user)
    return member


def test_plans_list_their_terms_in_full(current_plan, member):
    response = client_for(member.user).get("/api/v1/aid-plans/")
    assert response.status_code == 200
    plan = response.json()["results"][0]
    assert plan["segments"] == SEGMENTS_DATA
    assert {k: plan[k] for k in ("premium", "deductible_per_year", "minimum_payout", "yearly_cap",
                                 "allowance_per_day", "allowance_max")} == {
        "premium": "100.00", "deductible_per_year": "1000.00", "minimum_payout": "100.00",
        "yearly_cap": "1000000.00", "allowance_per_day": "50.00", "allowance_max": "500.00"}
    assert plan["coverage_starts_on"].endswith("-01-01") and plan["filing_deadline_days"] == 90
    assert plan["accident_terms"] == {"rate": "0.50", "max_per_claim": "20000.00"}
    assert plan["major_illness_terms"]["threshold"] == "60000.00"
    assert client_for().get("/api/v1/aid-plans/").status_code == 401


def _plan_body(**overrides):
    body = {k: str(v) if not isinstance(v, (list, dict, int, bool)) else v for k, v in plan_fields(year=2027).items()}
    body.update(overrides)
    return body


def test_only_city_staff_create_plans(tree, member):
    district_admin = make_staff(tree["district_a"])
    city_admin = make_staff(tree["city"])
    city_viewer = make_staff(tree["city"], role=StaffAssignment.Role.VIEWER)
    for user in (member.user, district_admin, city_viewer):
        assert client_for(user).post("/api/v1/aid-plans/", _plan_body(), format="json").status_code == 403
    assert not AidPlan.objects.exists()
    response = client_for(city_admin).post("/api/v1/aid-plans/", _plan_body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["segments"] == SEGMENTS_DATA
    plan = AidPlan.objects.get()
    assert plan.organization == tree["city"] and plan.segments == SEGMENTS_DATA
    assert AuditLog.objects.filter(action="aid_plan.created", actor=city_admin).exists()
    again = client_for(city_admin).post("/api/v1/aid-plans/", _plan_body(), format="json")
    assert (again.status_code, again.json()["code"]) == (409, "plan_exists")


def test_bad_plan_terms_name_the_field(tree):
    city_admin = make_staff(tree["city"])
    body = _plan_body(segments=[{"up_to": "100.00", "rate": "0.30"}, {"up_to": "50.00", "rate": "0.40"}])
    response = client_for(city_admin).post("/api/v1/aid-plans/", body, format="json",
                                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "segments" in response.json()["fields"]
    assert not AidPlan.objects.exists()


def test_enrol_then_409(current_plan, member):
    client = client_for(member.user)
    response = client.post("/api/v1/aid-enrolments/", {"plan": current_plan.pk, "payment_reference": "WX42"},
                           format="json")
    assert response.status_code == 201
    assert response.json()["payment_reference"] == "WX42"
    again = client.post("/api/v1/aid-enrolments/", {"plan": current_plan.pk, "payment_reference": "WX43"},
                        format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_enrolled")
    assert "已" in again.json()["detail"]
    assert AidEnrolment.objects.count() == 1
    assert client.get("/api/v1/aid-enrolments/").json()["count"] == 1


def test_file_a_claim_201_and_the_400s(enrolled_now, tree, current_plan):
    client = client_for(enrolled_now.user)
    body = recent_claim_fields(invoice_numbers=["FP-100"])
    response = client.post("/api/v1/aid-claims/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "submitted" and response.json()["payout"] is None
    assert response.json()["invoice_numbers"] == ["FP-100"]

    again = client.post("/api/v1/aid-claims/", body, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invoice_already_claimed"
    assert "FP-100" in again.json()["fields"]["invoice_numbers"][0]

    bad = client.post("/api/v1/aid-claims/", recent_claim_fields(self_paid="2500.00"), format="json",
                      HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and bad.json()["code"] == "amounts_do_not_add_up"
    assert "self-paid" in bad.json()["fields"]["self_paid"][0]
    zh = client.post("/api/v1/aid-claims/", recent_claim_fields(self_paid="2500.00"), format="json")
    assert "自付" in zh.json()["fields"]["self_paid"][0]

    stranger = make_member(tree["enterprise_b"])
    not_enrolled = client_for(stranger.user).post("/api/v1/aid-claims/", recent_claim_fields(), format="json")
    assert not_enrolled.status_code == 400 and not_enrolled.json()["code"] == "not_enrolled"
    assert "admitted_on" in not_enrolled.json()["fields"]

    missing = client.post("/api/v1/aid-claims/", {"hospital": "x"}, format="json")
    assert missing.status_code == 400 and {"admitted_on", "self_paid", "invoice_numbers"} <= set(missing.json()["fields"])
    assert AidClaim.objects.count() == 1


def test_file_a_claim_with_documents_in_one_multipart_request(enrolled_now):
    body = recent_claim_fields()
    body["documents"] = [SimpleUploadedFile("a.png", png_bytes(), "image/png"),
                         SimpleUploadedFile("b.pdf", pdf_bytes(), "application/pdf")]
    response = client_for(enrolled_now.user).post("/api/v1/aid-claims/", body, format="multipart")
    assert response.status_code == 201, response.json()
    assert [d["content_type"] for d in response.json()["documents"]] == ["image/png", "application/pdf"]
    body = recent_claim_fields()
    body["documents"] = [SimpleUploadedFile("a.png", png_bytes()), SimpleUploadedFile("x.jpg", b"not an image")]
    bad = client_for(enrolled_now.user).post("/api/v1/aid-claims/", body, format="multipart")
    assert bad.status_code == 400 and "documents" in bad.json()["fields"]
    assert AidClaim.objects.count() == 1 and AidClaimDocument.objects.count() == 2  # nothing half-saved


def test_claim_detail_shows_payout_and_breakdown_once_approved(enrolled_now, reviewer):
    claim = file_claim(enrolled_now, **{k: v for k, v in claim_fields(
        admitted_on=timezone.localdate() - timedelta(days=6), discharged_on=timezone.localdate() - timedelta(days=2),
        total_cost=D("300000"), insurance_paid=D("50000"), self_paid=D("250000")).items()},
        today=timezone.localdate())
    add_document(claim)
    client = client_for(enrolled_now.user)
    assert client.get(f"/api/v1/aid-claims/{claim.pk}/").json()["breakdown"] is None
    approved = client_for(reviewer).post(f"/api/v1/aid-claims/{claim.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["payout"] == "155550.00"
    body = client.get(f"/api/v1/aid-claims/{claim.pk}/").json()
    assert body["status"] == "approved" and body["payout"] == "155550.00"
    assert [step["step"] for step in body["breakdown"]] == ["deductible", "segment", "segment", "segment",
                                                            "segment", "total"]
    assert body["breakdown_text"][-1] == "补助金额：155,550.00 元"
    assert [event["status"] for event in body["events"]] == ["submitted", "approved"]


def test_reject_needs_a_reason(enrolled_now, reviewer):
    claim = file_claim(enrolled_now, admitted_on=timezone.localdate() - timedelta(days=6),
                       discharged_on=timezone.localdate() - timedelta(days=2), today=timezone.localdate())
    response = client_for(reviewer).post(f"/api/v1/aid-claims/{claim.pk}/reject/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    response = client_for(reviewer).post(f"/api/v1/aid-claims/{claim.pk}/return/", {"reason": "请补充发票原件照片。"},
                                         format="json")
    assert response.status_code == 200 and response.json()["status"] == "returned"
    member = client_for(enrolled_now.user)
    assert member.post(f"/api/v1/aid-claims/{claim.pk}/documents/",
                       {"file": SimpleUploadedFile("f.png", png_bytes())}, format="multipart").status_code == 201
    resubmitted = member.post(f"/api/v1/aid-claims/{claim.pk}/resubmit/")
    assert resubmitted.status_code == 200 and resubmitted.json()["status"] == "resubmitted"


def test_a_partner_key_sees_no_claims(enrolled_now):
    claim = file_claim(enrolled_now, admitted_on=timezone.localdate() - timedelta(days=3),
                       discharged_on=timezone.localdate() - timedelta(days=1), today=timezone.localdate())
    raw, _key = api_key_issue(name="kiosk", scopes=["health:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.get(f"/api/v1/aid-claims/{claim.pk}/").status_code in (401, 403)
    assert client.get("/api/v1/aid-claims/").status_code in (401, 403)


# --- The permission table ---------------------------------------------------------------------------

ROLES = ["anonymous", "owner", "other_member", "reviewer_in_tree", "viewer_in_tree", "admin_elsewhere"]
# endpoint → expected status per role, in the order of ROLES
TABLE = {
    "detail": [401, 200, 404, 200, 200, 404],
    "document_get": [401, 200, 404, 200, 200, 404],
    "document_post": [401, 201, 404, 404, 404, 404],
    "approve": [401, 404, 404, 200, 403, 404],
    "reject": [401, 404, 404, 200, 403, 404],
    "return": [401, 404, 404, 200, 403, 404],
    "resubmit": [401, 409, 404, 404, 404, 404],
}


@pytest.fixture
def scene(tree, enrolled_now):
    claim = file_claim(enrolled_now, admitted_on=timezone.localdate() - timedelta(days=3),
                       discharged_on=timezone.localdate() - timedelta(days=1), today=timezone.localdate())
    document = add_document(claim, data=pdf_bytes(), name="出院小结.pdf")
    users = {
        "anonymous": None,
        "owner": enrolled_now.user,
        "other_member": make_member(tree["enterprise_a"]).user,
        "reviewer_in_tree": make_staff(tree["street_a"], role=StaffAssignment.Role.REVIEWER),
        "viewer_in_tree": make_staff(tree["district_a"], role=StaffAssignment.Role.VIEWER),
        "admin_elsewhere": make_staff(tree["district_b"], role=StaffAssignment.Role.ADMIN),
    }
    return claim, document, users


def _call(client, endpoint, claim, document):
    base = f"/api/v1/aid-claims/{claim.pk}/"
    if endpoint == "detail":
        return client.get(base)
    if endpoint == "document_get":
        return client.get(f"{base}documents/{document.pk}/")
    if endpoint == "document_post":
        return client.post(f"{base}documents/", {"file": SimpleUploadedFile("x.png", png_bytes())}, format="multipart")
    if endpoint in ("reject", "return"):
        return client.post(f"{base}{endpoint}/", {"reason": "材料不全"}, format="json")
    return client.post(f"{base}{endpoint}/")


@pytest.mark.parametrize("endpoint", list(TABLE))
@pytest.mark.parametrize("role", ROLES)
def test_permission_table(scene, endpoint, role):
    claim, document, users = scene
    expected = TABLE[endpoint][ROLES.index(role)]
    before = (claim.status, AidClaimDocument.objects.count(), AuditLog.objects.count())
    response = _call(client_for(users[role]), endpoint, claim, document)
    assert response.status_code == expected, (role, endpoint, response.content[:200])
    claim.refresh_from_db()
    if expected >= 400:
        assert (claim.status, AidClaimDocument.objects.count(), AuditLog.objects.count()) == before  # nothing changed
        assert b"%PDF" not in response.content
        assert not MemberAidYear.objects.exists()
    if endpoint == "document_get" and expected == 200:
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_document_opens_only_through_its_own_claim(scene, tree, current_plan):
    """A claim one may see does not open another claim's document by swapping the document id."""
    claim, document, users = scene
    stranger = make_member(tree["enterprise_b"])
    aid_services.aid_enrolment_create(member=stranger, plan=current_plan, payment_reference="WX9", actor=stranger.user)
    own_claim = file_claim(stranger, admitted_on=timezone.localdate() - timedelta(days=3),
                           discharged_on=timezone.localdate() - timedelta(days=1), today=timezone.localdate())
    own_document = add_document(own_claim, data=pdf_bytes(), name="我的发票.pdf")
    # The stranger through their own claim, and district B's staff (whose tree holds that claim).
    for user in (stranger.user, users["admin_elsewhere"]):
        client = client_for(user)
        assert client.get(f"/api/v1/aid-claims/{own_claim.pk}/documents/{own_document.pk}/").status_code == 200
        swapped = client.get(f"/api/v1/aid-claims/{own_claim.pk}/documents/{document.pk}/")
        assert swapped.status_code == 404 and swapped.json()["code"] == "not_found"


def test_the_bank_account_is_stored_encrypted_and_answered_masked(enrolled_now, reviewer):
    account = "6222020200112233445"
    body = recent_claim_fields(payee_bank="中国工商银行泉州分行", payee_account=account)
    created = client_for(enrolled_now.user).post("/api/v1/aid-claims/", body, format="json")
    assert created.status_code == 201, created.json()
    masked = "*" * 15 + "3445"
    answers = [
        created,
        client_for(enrolled_now.user).get(f"/api/v1/aid-claims/{created.json()['id']}/"),
        client_for(reviewer).get(f"/api/v1/aid-claims/{created.json()['id']}/"),
        client_for(reviewer).get("/api/v1/aid-claims/"),
    ]
    for response in answers:
        assert response.status_code in (200, 201)
        assert account not in response.content.decode() and masked in response.content.decode()
    claim = AidClaim.objects.get(pk=created.json()["id"])
    assert claim.payee_account == account  # the clear value is there for the payment batch
    with connection.cursor() as cursor:
        cursor.execute(f"select payee_account from {AidClaim._meta.db_table} where id = %s", [claim.pk])
        assert account not in cursor.fetchone()[0]


def test_oversized_and_fake_documents_are_refused_with_the_field(enrolled_now, settings):
    settings.AID_DOCUMENT_MAX_BYTES = 1024 * 1024
    claim = file_claim(enrolled_now, admitted_on=timezone.localdate() - timedelta(days=3),
                       discharged_on=timezone.localdate() - timedelta(days=1), today=timezone.localdate())
    client = client_for(enrolled_now.user)
    url = f"/api/v1/aid-claims/{claim.pk}/documents/"
    big = client.post(url, {"file": SimpleUploadedFile("big.png", png_bytes() + b"\0" * (2 * 1024 * 1024))},
                      format="multipart")
    assert big.status_code == 400 and big.json()["code"] == "file_too_large" and "file" in big.json()["fields"]
    fake = client.post(url, {"file": SimpleUploadedFile("scan.pdf", b"#!/bin/sh\necho hi\n", "application/pdf")},
                       format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert fake.status_code == 400 and fake.json()["fields"]["file"] == ["Only JPEG, PNG or PDF files can be uploaded."]
    assert claim.documents.count() == 0


def test_staff_list_their_trees_claims_and_their_own_without_joining_members(tree, enrolled_now, current_plan):
    """A district's staff member who is also a member elsewhere: the claims of their tree and
    their own. Counted on the claims' own columns: an OR across the joined member and union
    made PostgreSQL join every claim before it could drop one (half a second at city scale)."""
    from django.test.utils import CaptureQueriesContext

    recent = {"admitted_on": timezone.localdate() - timedelta(days=3),
              "discharged_on": timezone.localdate() - timedelta(days=1), "today": timezone.localdate()}
    in_tree = file_claim(enrolled_now, **recent)  # enterprise_a, under district_a
    staff = make_staff(tree["district_a"])
    elsewhere = make_member(tree["district_b"], user=staff)
    aid_services.aid_enrolment_create(member=elsewhere, plan=current_plan, payment_reference="WX2", actor=staff)
    own = file_claim(elsewhere, **recent)
    stranger = make_member(tree["district_b"])
    aid_services.aid_enrolment_create(member=stranger, plan=current_plan, payment_reference="WX3", actor=stranger.user)
    file_claim(stranger, **recent)
    client = client_for(staff)
    assert {row["id"] for row in client.get("/api/v1/aid-claims/").json()["results"]} == {in_tree.pk, own.pk}
    with CaptureQueriesContext(connection) as queries:  # a page of one: the list must be counted
        assert client.get("/api/v1/aid-claims/", {"page_size": 1}).json()["count"] == 2
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT count(*)")]
    assert counts and all(" JOIN " not in sql for sql in counts), counts
