"""Platform writes: notifications through the outbox, and audit rows."""

import hashlib
import logging
import secrets

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone, translation

from .models import ApiKey, ApiToken, AuditLog, Notification


def notification_send(*, user, event: str, message) -> Notification:
    """Write a notification in the caller's transaction; it is delivered after commit.

    `message` may be a lazy translation: it is rendered in the recipient's language.
    """
    with translation.override(getattr(user, "preferred_language", None) or "zh-hans"):
        body = str(message)
    notification = Notification.objects.create(user=user, event=event, body=body)
    transaction.on_commit(lambda: _queue_delivery(notification.pk))
    return notification


def task_queue(task, *args, what: str) -> None:
    """Hand `task` to the broker. With the broker away, the row the task works on stays as it
    is and a periodic sweep hands it out later: the caller neither fails nor loses it."""
    try:
        task.delay(*args)
    except Exception:
        logging.getLogger(__name__).warning("%s left for the periodic sweep", what)


def _queue_delivery(notification_id: int) -> None:
    from .tasks import notification_deliver

    task_queue(notification_deliver, notification_id, what=f"notification {notification_id}")


def audit_log(*, actor, action: str, obj, changes: dict | None = None, organization_path: str = "") -> AuditLog:
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        organization_path=organization_path,
        changes=changes or {},
    )


def hash_secret(secret: str) -> str:
    # Keys and tokens are 256-bit random values, so a plain SHA-256 is enough to store them.
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_issue(*, user, lifetime) -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, token_hash=hash_secret(raw), expires_at=timezone.now() + lifetime)
    return raw, token


def api_key_issue(*, name: str, scopes: list[str], merchant=None, station=None, created_by=None) -> tuple[str, ApiKey]:
    """Create a partner key; the returned clear key is shown once and never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name, prefix=prefix, key_hash=hash_secret(secret), scopes=scopes,
        merchant=merchant, station=station, created_by=created_by,
    )
    return f"{prefix}.{secret}", key
