"""The notifications outbox, delivered by a real Celery worker through the real Redis."""

import os
import subprocess
import sys
import time

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.db import connection, transaction

from unionportal.core.models import Notification
from unionportal.core.services import notification_send

from ..factories import make_user


@pytest.fixture
def celery_worker_process(transactional_db):
    """A worker in its own process, on the test database, draining a queue of its own."""
    queue = f"test-{os.getpid()}"
    env = dict(
        os.environ,
        TEST_DATABASE_NAME="", DATABASE_URL=_database_url(connection.settings_dict["NAME"]),
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "unionportal", "worker", "-Q", queue, "--pool=solo",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        env=env, cwd=settings.BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    from unionportal.celery import app

    app.conf.task_default_queue = queue
    try:
        yield process
    finally:
        app.conf.task_default_queue = "celery"
        process.terminate()
        process.wait(timeout=20)


def _database_url(name: str) -> str:
    base = settings.DATABASES["default"]
    return f"postgis://{base['USER']}@{base['HOST']}:{base['PORT']}/{name}"


def _wait_for(predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
def test_notification_written_in_transaction_is_delivered_once_after_commit(celery_worker_process):
    user = make_user(name="林建华")
    with transaction.atomic():
        notification = notification_send(user=user, event="member_verified", message="您的入会申请已通过审核。")
        assert Notification.objects.get(pk=notification.pk).status == "pending"
    assert _wait_for(lambda: Notification.objects.get(pk=notification.pk).status == "sent")
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
