import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Notification

logger = logging.getLogger(__name__)


def sms_backend():
    return import_string(settings.SMS_BACKEND)()


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True,
    max_retries=settings.NOTIFICATION_MAX_ATTEMPTS, default_retry_delay=30,
)
def notification_deliver(self, notification_id: int) -> str:
    """Send one notification. Safe to run twice: the row lock and status make delivery once."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("user").filter(pk=notification_id).first()
        )
        if notification is None:
            return "busy-or-missing"
        if notification.status != Notification.Status.PENDING:
            return notification.status
        notification.attempts += 1
        try:
            sms_backend().send(
                phone=notification.user.phone, body=notification.body, message_id=f"notification-{notification.pk}",
            )
        except Exception as error:
            notification.last_error = str(error)[:255]
            if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                notification.status = Notification.Status.FAILED
            notification.save(update_fields=["attempts", "last_error", "status"])
            if notification.status == Notification.Status.FAILED:
                return "failed"
            raise_retry = True
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.save(update_fields=["attempts", "status", "sent_at"])
            raise_retry = False
    if raise_retry:
        raise self.retry(countdown=min(30 * 2 ** notification.attempts, 3600))
    return "sent"


@shared_task
def notifications_redeliver_pending() -> int:
    """Queue pending notifications whose task was lost (broker down at commit, say)."""
    stale = timezone.now() - timedelta(minutes=5)
    ids = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, created_at__lt=stale,
            attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:1000]
    )
    for notification_id in ids:
        notification_deliver.delay(notification_id)
    return len(ids)
