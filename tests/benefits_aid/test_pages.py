"""The member's pages: terms explained, enrol, file with documents, follow the claim."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from benefits import aid_services
from benefits.models import AidClaim, AidEnrolment

from ..factories import make_member
from .builders import add_document, file_claim, plan_fields, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def this_year_plan(tree):
    year = timezone.localdate().year
    return aid_services.aid_plan_create(actor=None, organization=tree["city"], **plan_fields(
        year=year, coverage_starts_on=date(year, 1, 1), coverage_ends_on=date(year, 12, 31)))


def test_terms_are_explained_to_anyone(client, this_year_plan):
    page = client.get("/aid/").content.decode()
    assert this_year_plan.title in page
    assert "1,000.00" in page and "95%" in page and "1,000,000.00" in page
    assert "18,600.00" in page  # the example: 50,000 self-paid → 3,000 + 15,600
    assert "登录" in page


def test_member_enrols_and_files_a_claim_with_a_photo(client, member, this_year_plan):
    client.force_login(member.user)
    response = client.post("/aid/enrol/", {"plan": this_year_plan.pk, "payment_reference": "WX20260101"}, follow=True)
    assert AidEnrolment.objects.filter(member=member).exists()
    assert "您已参保" in response.content.decode() or "已参加" in response.content.decode()
    today = timezone.localdate()
    body = {"kind": "hospitalisation", "hospital": "泉州市第一医院", "admitted_on": str(today - timedelta(days=5)),
            "discharged_on": str(today - timedelta(days=1)), "total_cost": "3000", "insurance_paid": "1000",
            "self_paid": "2500", "invoice_numbers": "FP1，FP2"}
    bad = client.post("/aid/claims/new/", {**body, "documents": SimpleUploadedFile("a.png", png_bytes())})
    assert bad.status_code == 200 and "个人自付金额不能超过" in bad.content.decode()
    assert not AidClaim.objects.exists()
    no_file = client.post("/aid/claims/new/", {**body, "self_paid": "2000"})
    assert "至少" in no_file.content.decode() and not AidClaim.objects.exists()
    done = client.post("/aid/claims/new/", {**body, "self_paid": "2000",
                                            "documents": SimpleUploadedFile("a.png", png_bytes())})
    claim = AidClaim.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/aid/claims/{claim.pk}/"
    assert sorted(claim.invoices.values_list("invoice_number", flat=True)) == ["FP1", "FP2"]
    page = client.get(done["Location"]).content.decode()
    assert "已提交" in page and "a.png" in page


def test_claim_page_shows_the_breakdown_once_approved_and_only_to_its_member(client, enrolled, reviewer, tree):
    claim = file_claim(enrolled, total_cost=D("300000"), insurance_paid=D("50000"), self_paid=D("250000"))
    add_document(claim)
    aid_services.aid_claim_approve(claim_id=claim.pk, actor=reviewer)
    client.force_login(enrolled.user)
    page = client.get(f"/aid/claims/{claim.pk}/").content.decode()
    assert "补助金额：155,550.00 元" in page and "已核准" in page
    client.force_login(make_member(tree["enterprise_a"]).user)
    assert client.get(f"/aid/claims/{claim.pk}/").status_code == 404


def test_returned_claim_gets_documents_and_goes_back(client, enrolled, reviewer):
    claim = file_claim(enrolled)
    aid_services.aid_claim_return(claim_id=claim.pk, actor=reviewer, reason="请补充出院小结")
    client.force_login(enrolled.user)
    page = client.get(f"/aid/claims/{claim.pk}/").content.decode()
    assert "请补充出院小结" in page
    client.post(f"/aid/claims/{claim.pk}/documents/", {"documents": SimpleUploadedFile("b.png", png_bytes())})
    client.post(f"/aid/claims/{claim.pk}/resubmit/")
    claim.refresh_from_db()
    assert claim.status == "resubmitted" and claim.documents.count() == 1
