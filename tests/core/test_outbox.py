"""The notifications outbox, delivered by a real Celery worker through the real Redis."""

import os
import signal

import pytest
from celery.exceptions import Retry
from django.db import transaction

from unionportal.core.models import Notification
from unionportal.core.services import notification_send

from ..factories import make_user
from ..support.sms_gateway import delivered_ids, started_ids
from ..support.workers import start_worker, stop_worker, wait_for




@pytest.mark.worker
def test_notification_written_in_transaction_is_delivered_once_after_commit(celery_worker_process):
    user = make_user(name="林建华")
    with transaction.atomic():
        notification = notification_send(user=user, event="member_verified", message="您的入会申请已通过审核。")
        assert Notification.objects.get(pk=notification.pk).status == "pending"
    assert wait_for(lambda: Notification.objects.get(pk=notification.pk).status == "sent")
    notification.refresh_from_db()
    assert notification.attempts == 1 and notification.sent_at is not None

    # Delivering the same row again changes nothing: delivery is recorded once.
    from unionportal.core.tasks import notification_deliver

    assert notification_deliver.run(notification.pk) == "sent"
    notification.refresh_from_db()
    assert notification.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_event_leaves_no_notification():
    user = make_user()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            notification_send(user=user, event="x", message="不会发送")
            raise RuntimeError("the event failed")
    assert not Notification.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_failing_backend_gives_up_after_bounded_attempts(settings):
    settings.SMS_BACKEND = "tests.core.test_outbox.BrokenSmsBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    from unionportal.core.tasks import notification_deliver

    user = make_user()
    notification = Notification.objects.create(user=user, event="x", body="测试")
    with pytest.raises(Retry):
        notification_deliver.run(notification.pk)
    notification.refresh_from_db()
    assert notification.attempts == 1 and notification.status == "pending"
    assert "gateway down" in notification.last_error
    assert notification_deliver.run(notification.pk) == "failed"
    notification.refresh_from_db()
    assert notification.attempts == 2 and notification.status == "failed"


class BrokenSmsBackend:
    """An SMS gateway that is down (a test double for the outside world, not for our services)."""

    def send(self, **kwargs):
        raise ConnectionError("gateway down")


@pytest.mark.worker
def test_worker_killed_mid_send_delivers_every_notification_exactly_once_after_restart(
    worker_queue, settings, tmp_path,
):
    outbox = tmp_path / "sms.txt"
    gateway = {
        "SMS_BACKEND": "tests.support.sms_gateway.FileSmsGateway", "SMS_TEST_OUTBOX": str(outbox),
        "SMS_TEST_DELAY": "2",
        "CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_RESTORE_INTERVAL": "1", "CELERY_RESTORE_THROTTLE": "1",
    }
    user = make_user(name="陈志明")
    with transaction.atomic():
        notifications = [
            notification_send(user=user, event="test", message=f"第{n}条通知") for n in range(3)
        ]
    worker = start_worker(worker_queue, pool="prefork", extra_env=gateway)
    # Kill the whole worker (main process and pool) while the first message is being sent:
    # as soon as the gateway has begun it, well inside its delay.
    assert wait_for(lambda: started_ids(outbox), 60), "the worker never began sending"
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    interrupted = started_ids(outbox)[0]
    assert interrupted not in delivered_ids(outbox)  # the kill really cut a send short

    restarted = start_worker(worker_queue, pool="prefork", extra_env=gateway)
    try:
        assert wait_for(
            lambda: Notification.objects.filter(user=user, status="sent").count() == 3, 60,
        ), list(Notification.objects.filter(user=user).values_list("status", "attempts"))
    finally:
        stop_worker(restarted)
    ids = delivered_ids(outbox)
    assert sorted(ids) == sorted(f"notification-{n.pk}" for n in notifications)  # each once
