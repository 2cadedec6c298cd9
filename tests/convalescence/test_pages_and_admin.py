"""The phone pages and the back office: rendering, answering, exports, report, scoping."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from convalescence import services
from convalescence.models import Nomination, NominationStatus, Session
from tests.factories import make_member, make_staff, make_tree
from unionportal.core.models import AuditLog

from .builders import at, make_base, make_program, make_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tree = make_tree()
    city_staff = make_staff(tree["city"])
    now = timezone.now()
    session = services.session_create(
        actor=city_staff, program=make_program(make_base(tree["city"])), organising_union=tree["city"],
        starts_on=timezone.localdate() + timedelta(days=30), seats=2,
        nomination_opens_at=now - timedelta(days=1), nomination_closes_at=now + timedelta(days=5),
        confirmation_deadline=now + timedelta(days=10),
    )
    member = make_member(tree["enterprise_a"], user=None)
    enterprise_staff = make_staff(tree["enterprise_a"])
    nomination = services.nomination_create(actor=enterprise_staff, session=session, member=member)
    services.nomination_approve(actor=city_staff, nomination=nomination)
    return {**tree, "city_staff": city_staff, "enterprise_staff": enterprise_staff, "session": session,
            "member": member, "nomination": nomination}


def test_sessions_page_needs_login(client):
    response = client.get(reverse("convalescence:sessions"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_member_page_shows_trip_and_confirms(client, world):
    client.force_login(world["member"].user)
    page = client.get(reverse("convalescence:sessions")).content.decode()
    assert "我的疗休养" in page and "清源山疗休养基地" in page and "确认参加" in page
    response = client.post(reverse("convalescence:nomination-confirm", args=[world["nomination"].pk]), follow=True)
    assert response.status_code == 200
    world["nomination"].refresh_from_db()
    assert world["nomination"].status == NominationStatus.CONFIRMED
    assert Session.objects.get(pk=world["session"].pk).confirmed_count == 1


def test_someone_elses_nomination_is_not_there(client, world):
    other = make_member(world["enterprise_a"])
    client.force_login(other.user)
    response = client.post(reverse("convalescence:nomination-confirm", args=[world["nomination"].pk]))
    assert response.status_code == 404
    assert Nomination.objects.get(pk=world["nomination"].pk).status == NominationStatus.APPROVED


def test_session_detail_page(client, world):
    client.force_login(world["member"].user)
    page = client.get(reverse("convalescence:session", args=[world["session"].pk])).content.decode()
    assert "剩余" in page and "康养" in page and "第一天：报到" in page


def test_page_for_a_user_without_membership(client):
    from tests.factories import make_user

    client.force_login(make_user())
    assert "会员" in client.get(reverse("convalescence:sessions")).content.decode()


def test_admin_roster_export_and_settlement_report(client, world):
    make_rates()
    admin_url = reverse("admin:convalescence_session_changelist")
    client.force_login(world["city_staff"])
    assert client.get(admin_url).status_code == 200
    response = client.post(admin_url, {"action": "export_rosters", "_selected_action": [world["session"].pk]})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    assert [cell.value for cell in sheet[2]][:2] == [world["member"].name, world["member"].card_number]
    assert AuditLog.objects.filter(action="convalescence.roster.export").exists()

    # hold a session on 2024-01-01, settle it through the admin actions, read the report
    opens = at(2023, 11, 1)
    held = services.session_create(actor=world["city_staff"], program=world["session"].program,
                                   organising_union=world["district_a"], starts_on=date(2024, 1, 1), seats=2,
                                   nomination_opens_at=opens, nomination_closes_at=opens + timedelta(days=5),
                                   confirmation_deadline=opens + timedelta(days=10))
    member = make_member(world["enterprise_a"])
    nomination = services.nomination_create(actor=world["enterprise_staff"], session=held, member=member,
                                            now=opens + timedelta(days=1))
    services.nomination_approve(actor=world["city_staff"], nomination=nomination, now=opens + timedelta(days=6))
    services.nomination_confirm(user=member.user, nomination=nomination, now=opens + timedelta(days=7))
    services.nomination_check_in(actor=world["city_staff"], session=held, card_number=member.card_number,
                                 now=at(2024, 1, 1, 8))
    for action in ("close_roster", "settle"):
        client.post(admin_url, {"action": action, "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.settlement.total == 2500  # 1 attendee × 5 days × 500
    report = client.get(reverse("admin:convalescence_settlement_report") + "?year=2024").content.decode()
    assert "甲区总工会" in report and "2500.00" in report

    settlements_url = reverse("admin:convalescence_settlement_changelist")
    response = client.post(settlements_url, {"action": "export_settlements", "_selected_action": [held.settlement.pk]})
    rows = list(load_workbook(BytesIO(response.content)).active.values)
    assert rows[1][5:9] == (1, "市总工会", 500, 2500)


def test_admin_is_scoped(client, world):
    other_staff = make_staff(world["enterprise_b"])
    client.force_login(other_staff)
    url = reverse("admin:convalescence_nomination_change", args=[world["nomination"].pk])
    response = client.get(url, follow=True)
    assert "不存在" in response.content.decode() or response.status_code == 404
    report = client.get(reverse("admin:convalescence_settlement_report")).content.decode()
    assert "甲区总工会" not in report


def test_admin_finds_nominations_by_card_number_or_session_number(client, world):
    changelist = reverse("admin:convalescence_nomination_changelist")
    change = reverse("admin:convalescence_nomination_change", args=[world["nomination"].pk])
    client.force_login(world["city_staff"])
    for term in (world["member"].card_number, str(world["session"].pk)):
        assert change in client.get(changelist, {"q": term}).content.decode()
    for term in (world["member"].card_number[:-1], str(world["session"].pk + 1000), "第一期"):
        page = client.get(changelist, {"q": term})
        assert page.status_code == 200 and change not in page.content.decode()
    client.force_login(make_staff(world["enterprise_b"]))  # the same search, outside the tree
    assert change not in client.get(changelist, {"q": world["member"].card_number}).content.decode()


def test_admin_lists_nominations_by_union(client, world):
    other = services.nomination_create(actor=world["city_staff"], session=world["session"],
                                       member=make_member(world["enterprise_b"]))
    changelist = reverse("admin:convalescence_nomination_changelist")
    client.force_login(world["city_staff"])
    page = client.get(changelist).content.decode()
    assert world["enterprise_a"].name in page and world["enterprise_b"].name in page  # the union column
    assert f"?union={world['district_a'].pk}" in page
    listed = client.get(changelist, {"union": world["district_b"].pk}).context_data["cl"].result_list
    assert [nomination.pk for nomination in listed] == [other.pk]


def test_admin_offers_only_sessions_taking_nominations(client, world):
    now = timezone.now()
    later = services.session_create(
        actor=world["city_staff"], program=world["session"].program, organising_union=world["city"],
        starts_on=timezone.localdate() + timedelta(days=60), seats=2,
        nomination_opens_at=now + timedelta(days=10), nomination_closes_at=now + timedelta(days=20),
        confirmation_deadline=now + timedelta(days=30),
    )
    client.force_login(world["city_staff"])
    choices = client.get(reverse("admin:convalescence_nomination_add")).context_data["adminform"].form.fields[
        "session"].queryset
    assert list(choices) == [world["session"]] and later not in choices


def test_admin_base_page_has_the_map(client, world):
    client.force_login(world["city_staff"])
    base = world["session"].program.base
    page = client.get(reverse("admin:convalescence_base_change", args=[base.pk])).content.decode()
    assert "leaflet" in page.lower() and "清源山疗休养基地" in page


def test_admin_nomination_goes_through_the_service(client, world):
    client.force_login(world["enterprise_staff"])
    member = make_member(world["enterprise_b"])  # not in their tree
    url = reverse("admin:convalescence_nomination_add")
    response = client.post(url, {"session": world["session"].pk, "member": member.pk})
    assert response.status_code == 200  # the form refuses the choice
    assert not Nomination.objects.filter(member=member).exists()
    mine = make_member(world["enterprise_a"])
    response = client.post(url, {"session": world["session"].pk, "member": mine.pk})
    assert response.status_code == 302
    assert Nomination.objects.get(member=mine).status == NominationStatus.NOMINATED


def test_admin_creates_a_session_and_splits_quotas_through_the_services(client, world):
    client.force_login(world["city_staff"])
    program = world["session"].program
    form = {
        "program": program.pk, "organising_union": world["city"].pk, "starts_on": "2027-03-01", "seats": "30",
        "nomination_opens_at_0": "2027-01-01", "nomination_opens_at_1": "09:00",
        "nomination_closes_at_0": "2027-01-31", "nomination_closes_at_1": "18:00",
        "confirmation_deadline_0": "2027-02-20", "confirmation_deadline_1": "18:00",
        "quotas-TOTAL_FORMS": "2", "quotas-INITIAL_FORMS": "0", "quotas-MIN_NUM_FORMS": "0", "quotas-MAX_NUM_FORMS": "1000",
        "quotas-0-organization": world["enterprise_a"].pk, "quotas-0-seats": "10",
        "quotas-1-organization": world["enterprise_b"].pk, "quotas-1-seats": "5",
    }
    response = client.post(reverse("admin:convalescence_session_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    session = Session.objects.get(starts_on=date(2027, 3, 1))
    assert session.ends_on == date(2027, 3, 5)
    assert dict(session.quotas.values_list("organization__name", "seats")) == {"甲企业工会": 10, "乙企业工会": 5}
    assert AuditLog.objects.filter(action="convalescence.session.quotas", object_id=str(session.pk)).exists()

    # quotas over the seats are refused with a message, nothing saved
    change = reverse("admin:convalescence_session_change", args=[session.pk])
    form = {
        "seats": "30", "nomination_opens_at_0": "2027-01-01", "nomination_opens_at_1": "09:00",
        "nomination_closes_at_0": "2027-01-31", "nomination_closes_at_1": "18:00",
        "confirmation_deadline_0": "2027-02-20", "confirmation_deadline_1": "18:00",
        "quotas-TOTAL_FORMS": "2", "quotas-INITIAL_FORMS": "2", "quotas-MIN_NUM_FORMS": "0", "quotas-MAX_NUM_FORMS": "1000",
    }
    for index, quota in enumerate(session.quotas.order_by("pk")):
        form.update({f"quotas-{index}-id": quota.pk, f"quotas-{index}-session": session.pk,
                     f"quotas-{index}-organization": quota.organization_id, f"quotas-{index}-seats": "20"})
    response = client.post(change, form)
    assert response.status_code == 200 and "名额分配合计超过" in response.content.decode()
    assert sorted(session.quotas.values_list("seats", flat=True)) == [5, 10]


def test_staff_check_in_page_by_card_number_and_tick(client, world):
    session = world["session"]
    services.nomination_confirm(user=world["member"].user, nomination=world["nomination"])
    second = make_member(world["enterprise_a"])
    nomination = services.nomination_create(actor=world["enterprise_staff"], session=session, member=second)
    services.nomination_approve(actor=world["city_staff"], nomination=nomination)
    services.nomination_confirm(user=second.user, nomination=nomination)
    url = reverse("convalescence:roster", args=[session.pk])

    # staff outside the organising union's tree: not there; members: not there
    client.force_login(make_staff(world["enterprise_b"]))
    assert client.get(url).status_code == 404
    client.force_login(world["member"].user)
    assert client.get(url).status_code == 404

    client.force_login(world["city_staff"])
    page = client.get(url).content.decode()
    assert "签到" in page and world["member"].name not in page  # names are masked
    # before the first day the service refuses, and says why
    response = client.post(url, {"card": world["member"].card_number}, follow=True)
    assert "只能在班期期间签到" in response.content.decode()
    Session.objects.filter(pk=session.pk).update(starts_on=timezone.localdate(), ends_on=timezone.localdate() + timedelta(days=4))
    Nomination.objects.filter(session=session).update(trip_starts_on=timezone.localdate(),
                                                      trip_ends_on=timezone.localdate() + timedelta(days=4))
    client.post(url, {"card": world["member"].card_number})
    client.post(url, {"nomination": nomination.pk})
    assert set(session.nominations.values_list("status", flat=True)) == {"attended"}
    assert Session.objects.get(pk=session.pk).attended_count == 2


def test_admin_adds_a_base_on_the_map(client, world):
    client.force_login(world["city_staff"])
    response = client.post(reverse("admin:convalescence_base_add"), {
        "name": "崇武半月湾疗休养基地", "level": "county", "organization": world["district_a"].pk, "is_active": "on",
        "address": "惠安县崇武镇", "location": '{"type": "Point", "coordinates": [118.92, 24.88]}', "beds": "60",
        "themes": ["coastal", "wellness"], "contact_name": "王经理", "contact_phone": "0595-87680000",
        "accredited_from": "2026-01-01", "accredited_until": "2028-12-31",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    from convalescence.models import Base

    base = Base.objects.get(name="崇武半月湾疗休养基地")
    assert (round(base.location.x, 2), round(base.location.y, 2)) == (118.92, 24.88)
    assert base.themes == ["coastal", "wellness"]


def test_admin_refuses_an_overlapping_rate_with_a_message(client, world):
    make_rates()
    superuser = make_staff(world["city"], is_superuser=True)
    client.force_login(superuser)
    url = reverse("admin:convalescence_subsidyrate_add")
    response = client.post(url, {"program_kind": "multi_day", "paying_level": "city", "amount_per_person_day": "520.00",
                                 "valid_from": "2025-01-01", "valid_until": ""})
    assert response.status_code == 200
    assert "该类型和支付层级在此期间已有生效的补助标准" in response.content.decode()
    response = client.post(url, {"program_kind": "team_building", "paying_level": "city",
                                 "amount_per_person_day": "120.00", "valid_from": "2025-01-01", "valid_until": ""})
    assert response.status_code == 302
    # staff below the city federation read rates but never change them
    client.force_login(world["enterprise_staff"])
    assert client.get(reverse("admin:convalescence_subsidyrate_changelist")).status_code == 200
    assert client.get(url).status_code == 403
