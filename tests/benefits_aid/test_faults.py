"""An aid claim filed while Redis (the Celery broker) is down: kept, and its message sent later."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from benefits import aid_services
from benefits.models import AidClaim
from unionportal.core.models import Notification
from unionportal.core.services import api_token_issue
from unionportal.core.tasks import notifications_redeliver_pending

from ..factories import make_member, make_tree
from ..support.faults import redis_unreachable
from ..support.workers import start_worker, stop_worker, wait_for
from .builders import claim_fields, plan_fields




@pytest.mark.worker
def test_claim_filed_without_a_broker_is_kept_and_the_sweep_sends_its_message(worker_queue, settings):
    discharged = timezone.localdate() - timedelta(days=1)
    admitted = discharged - timedelta(days=4)
    tree = make_tree()
    plan = aid_services.aid_plan_create(actor=None, organization=tree["city"], **plan_fields(
        year=admitted.year, coverage_starts_on=date(admitted.year, 1, 1), coverage_ends_on=date(admitted.year, 12, 31)))
    member = make_member(tree["enterprise_a"])
    aid_services.aid_enrolment_create(member=member, plan=plan, payment_reference="WX1", actor=member.user)
    raw, _token = api_token_issue(user=member.user, lifetime=timedelta(hours=1))
    body = {k: str(v) if not isinstance(v, list) else v for k, v in claim_fields(
        admitted_on=admitted, discharged_on=discharged).items()}

    with redis_unreachable(settings):
        response = APIClient().post("/api/v1/aid-claims/", body, format="json", HTTP_AUTHORIZATION=f"Bearer {raw}")
        # The claim is committed before its message is queued: the broker's absence cannot undo it.
        assert response.status_code == 201, response.content
        claim = AidClaim.objects.get(pk=response.json()["id"])
        message = Notification.objects.get(user=member.user, event="aid_claim_submitted")
        assert (message.status, message.attempts) == ("pending", 0)

    # Redis is back. The beat sweep re-queues what waited in the outbox longer than it should.
    Notification.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    assert notifications_redeliver_pending() == 1
    worker = start_worker(worker_queue)
    try:
        assert wait_for(lambda: Notification.objects.get(pk=message.pk).status == "sent", 90)
    finally:
        stop_worker(worker)
    message.refresh_from_db()
    assert message.attempts == 1 and str(claim.pk) in message.body
