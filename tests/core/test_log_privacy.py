"""No clear ID or mobile number in the logs, and no health reading tied to a person.

Every log of the test session (this process, the Celery workers, gunicorn) is kept and checked when
the session ends (`pytest_sessionfinish` in tests/conftest.py). These tests prove that the
check finds what it should, that a finding fails the run, and drive the flows that log with
realistic people, so the session's logs hold their lines.
"""

import logging
import os
import subprocess
import sys
import urllib.request
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from benefits import aid_services
from members.models import Member, StaffAssignment, User
from members.rules import id_number_check_character
from stations.models import Station
from unionportal.core.models import Notification
from unionportal.core.pii import mask_id_number, mask_phone
from unionportal.core.services import api_key_issue, api_token_issue

from ..benefits_aid.builders import claim_fields, plan_fields
from ..factories import make_id_number, make_phone, make_staff, make_tree
from ..members.builders import application, consent_published
from ..stations.builders import make_station
from ..support import session_logs
from ..support.personal_data import personal_numbers_in
from ..support.portal_process import free_port
from ..support.workers import database_url, start_worker, stop_worker, wait_for


def _wrong_check_digit(id_number: str) -> str:
    return id_number[:17] + ("0" if id_number[17] != "0" else "1")


def test_the_check_finds_clear_numbers_and_ignores_masked_and_lookalike_ones(tmp_path):
    id_number, phone = make_id_number(), make_phone()
    lowercase_x = "11010519491231002x"
    assert id_number_check_character(lowercase_x[:17]) == "X"
    (tmp_path / "app.log").write_text("\n".join([
        f"INFO unionportal.sms SMS notification-7 to {mask_phone(phone)}: 您的健康检测结果",  # masked: fine
        f"INFO members ID {mask_id_number(id_number)}",  # masked: fine
        f"WARNING django.request Bad Request: {_wrong_check_digit(id_number)}",  # not a valid ID number
        f"INFO request id 9{id_number}",  # 19 digits: not an ID number
        f"INFO token {phone}abc hash a{phone}",  # inside words: not a phone
        "INFO celery succeeded in 0.13912345678s: 'sent'",  # a duration, not a phone
        f"WARNING members 会员身份证{id_number}已登记",  # Chinese around a clear number: found
        f"INFO unionportal.sms SMS to +86{phone}",  # with the country code: found
        f"INFO x id={lowercase_x}",  # lower-case check character: found
        f"INFO gunicorn GET /api/v1/members/?q=%2B86{phone}",  # URL-encoded country code: found
    ]) + "\n", encoding="utf-8")
    (tmp_path / "celery-queue.log").write_text(f"[INFO] SMS to {phone}: 林建华\n", encoding="utf-8")

    found = session_logs.findings(tmp_path)

    assert [(name, number) for name, number, _line in found] == [
        ("app.log", 7), ("app.log", 8), ("app.log", 9), ("app.log", 10), ("celery-queue.log", 1)]
    report = "\n".join(line for _name, _number, line in found)
    assert id_number not in report and phone not in report and lowercase_x not in report  # printed masked
    assert mask_id_number(id_number) in report and mask_phone(phone) in report
    assert [f.kind for f in personal_numbers_in(f"{id_number} {phone}")] == ["id_number", "mobile"]


def test_a_clear_number_in_any_log_fails_the_whole_run(tmp_path):
    """A passing test that logs a clear ID number: the run must still exit with a failure."""
    id_number, phone = make_id_number(), make_phone()
    env = dict(
        os.environ, UNIONPORTAL_TEST_LOG_DIR=str(tmp_path / "logs"), PLANTED_PHONE=phone, PLANTED_ID_NUMBER=id_number,
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/support/planted_leak.py"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    assert "1 passed" in run.stdout and "personal data in the logs" in run.stdout, run.stdout
    assert mask_phone(phone) in run.stdout and mask_id_number(id_number) in run.stdout
    assert phone not in run.stdout and id_number not in run.stdout  # the report itself leaks nothing
    assert id_number in (tmp_path / "logs" / "app.log").read_text(encoding="utf-8")


@pytest.fixture
def request_warnings_logged():
    """As with REQUEST_LOG_LEVEL=WARNING: 4xx answers logged too (they are not by default)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.mark.django_db
def test_request_warnings_name_paths_with_the_numbers_masked(client, request_warnings_logged):
    id_number, phone = make_id_number(), make_phone()
    start = session_logs.app_log_size()
    assert client.get(f"/api/v1/stations/{phone}/").status_code == 404
    assert client.get(f"/api/v1/stations/{id_number}/").status_code == 404
    logged = session_logs.app_log_since(start)
    assert not [finding.masked for finding in personal_numbers_in(logged)]
    assert f"Not Found: /api/v1/stations/{mask_phone(phone)}/" in logged
    assert f"Not Found: /api/v1/stations/{mask_id_number(id_number)}/" in logged


def test_the_session_log_capture_is_in_place():
    assert session_logs.is_capturing()
    assert set(session_logs.VERBOSE_LOGGERS) >= {"django", "celery", "unionportal"}




def bearer(user) -> dict:
    raw, _token = api_token_issue(user=user, lifetime=timedelta(hours=1))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.worker
def test_personal_flows_log_no_clear_numbers_and_no_reading_by_name(worker_queue, client, settings):
    """Registration, failed logins, verification, a flagged kiosk reading and an aid claim, with
    every message delivered by a real worker through the logging SMS backend."""
    settings.SMS_BACKEND = "unionportal.core.sms.LoggingSmsBackend"
    start = session_logs.app_log_size()
    consent_published()
    tree = make_tree()
    reviewer = make_staff(tree["street_a"], role=StaffAssignment.Role.REVIEWER, name="街道审核员")
    api = APIClient()
    data = application(tree["enterprise_a"], name="黄丽娟")

    assert api.post("/api/v1/members/register/", data, format="json").status_code == 201
    again = api.post("/api/v1/members/register/", {**data, "id_number": make_id_number()}, format="json")
    assert again.status_code in (400, 409)  # the phone is taken: logged as a 4xx by Django
    bad_id = api.post("/api/v1/members/register/", {**data, "id_number": _wrong_check_digit(data["id_number"])},
                      format="json")
    assert bad_id.status_code == 400
    for _attempt in range(2):
        wrong = api.post("/api/v1/auth/token/", {"phone": data["phone"], "password": "not-the-password"})
        assert wrong.status_code == 400
    page = client.post("/accounts/login/", {"username": data["phone"], "password": "not-the-password"})
    assert page.status_code == 200
    member = User.objects.get_by_phone(data["phone"]).member
    search = api.get("/api/v1/members/", {"q": data["id_number"]}, **bearer(reviewer))
    assert [row["id"] for row in search.json()["results"]] == [member.pk]
    assert api.post(f"/api/v1/members/{member.pk}/verify/", **bearer(reviewer)).status_code == 200

    station = make_station(tree["street_a"], kind=Station.Kind.HEALTH_STATION, amenities=["health_kiosk"])
    raw_key, _key = api_key_issue(name="健康小屋一体机", scopes=["health:write"], station=station)
    reading = api.post("/api/v1/health-readings/", {
        "card_number": Member.objects.get(pk=member.pk).card_number, "systolic_bp": 165, "diastolic_bp": 102,
        "heart_rate": 80}, format="json", HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert reading.status_code == 201 and reading.json()["level"] != "normal"

    discharged = timezone.localdate() - timedelta(days=1)
    admitted = discharged - timedelta(days=4)
    plan = aid_services.aid_plan_create(actor=None, organization=tree["city"], **plan_fields(
        year=admitted.year, coverage_starts_on=date(admitted.year, 1, 1), coverage_ends_on=date(admitted.year, 12, 31)))
    member_auth = bearer(member.user)
    assert api.post("/api/v1/aid-enrolments/", {"plan": plan.pk, "payment_reference": "WX88"}, format="json",
                    **member_auth).status_code == 201
    claim = {k: str(v) if not isinstance(v, list) else v for k, v in claim_fields(
        admitted_on=admitted, discharged_on=discharged, payee_bank="中国工商银行", payee_account="6222020200112233445",
    ).items()}
    assert api.post("/api/v1/aid-claims/", claim, format="json", **member_auth).status_code == 201

    messages = Notification.objects.filter(user=member.user)
    assert {"member_registered", "member_verified", "health_reading_flagged", "aid_enrolled",
            "aid_claim_submitted"} <= set(messages.values_list("event", flat=True))
    worker = start_worker(worker_queue)
    try:
        assert wait_for(lambda: not messages.exclude(status="sent").exists(), 90), list(
            messages.values_list("event", "status"))
    finally:
        stop_worker(worker)

    worker_log = session_logs.process_log_path(f"celery-{worker_queue}").read_text(encoding="utf-8")
    logged = session_logs.app_log_since(start) + worker_log
    # Failures print masked numbers only: a report must not leak what it found.
    assert not [finding.masked for finding in personal_numbers_in(logged)]
    leaked = data["phone"] in logged or data["id_number"] in logged
    assert not leaked, "the applicant's phone or ID number is in the logs"
    for message in messages:  # the flows really logged, the number masked
        assert f"SMS notification-{message.pk} to {mask_phone(data['phone'])}: " in worker_log
    # The reading's message goes to a masked number; no line ties it to the member's name.
    advice = reading.json()["advice"]
    reading_lines = [line for line in logged.splitlines() if advice in line or "健康" in line]
    assert reading_lines and not [line for line in reading_lines if data["name"] in line]


@pytest.mark.django_db(transaction=True)
def test_gunicorn_access_log_masks_the_numbers_members_are_searched_by():
    """Staff search by a full ID number (`?q=`); the production server's access line must not keep it."""
    tree = make_tree()
    staff = make_staff(tree["city"])
    raw, _token = api_token_issue(user=staff, lifetime=timedelta(hours=1))
    id_number, phone = make_id_number(), make_phone()
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url(), TEST_DATABASE_NAME="", GUNICORN_BIND=f"127.0.0.1:{port}",
               GUNICORN_WORKERS="1", GUNICORN_THREADS="2", GUNICORN_ACCESS_LOG="-")
    log_path = session_logs.process_log_path(f"gunicorn-{port}")
    with session_logs.process_log(f"gunicorn-{port}") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "unionportal.wsgi:application", "-c", "unionportal/gunicorn.conf.py",
             "--no-control-socket"],  # the default socket path is shared with any other gunicorn
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/members/?q={id_number}",
            headers={"Authorization": f"Bearer {raw}",
                     "Referer": f"http://127.0.0.1:{port}/admin/members/member/?q=%2B86{phone}"},
        )

        def answered():
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status == 200
            except OSError:
                return False

        assert wait_for(answered, 90), log_path.read_text(encoding="utf-8")[-2000:]
    finally:
        server.terminate()
        server.wait(timeout=30)
    access = log_path.read_text(encoding="utf-8")
    assert not [finding.masked for finding in personal_numbers_in(access)]
    assert f"GET /api/v1/members/?q={mask_id_number(id_number)} HTTP/1.1\" 200" in access
    assert f"/admin/members/member/?q={mask_phone(phone)}\"" in access  # the referer, +86 and all
