from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from .event_labels import AUDIT_ACTIONS, NOTIFICATION_EVENTS, label


class ApiToken(models.Model):
    """An expiring bearer token for a member or staff member; only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")


class ApiKey(models.Model):
    """A partner system's key: shown once when issued, stored as a hash, limited by scopes."""

    class Scope(models.TextChoices):
        STATIONS_READ = "stations:read", _("Read stations")
        HEALTH_WRITE = "health:write", _("Report health readings")
        COUPONS_REDEEM = "coupons:redeem", _("Redeem coupons")
        MEMBERS_VERIFY = "members:verify", _("Verify membership cards")

    name = models.CharField(_("name"), max_length=128)
    prefix = models.CharField(_("key prefix"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(models.CharField(max_length=32, choices=Scope.choices), verbose_name=_("scopes"))
    merchant = models.ForeignKey(
        "benefits.Merchant", on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys",
        verbose_name=_("merchant"),
    )
    station = models.ForeignKey(
        "stations.Station", on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys",
        verbose_name=_("station"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes


class Notification(models.Model):
    """Outbox row: written in the event's transaction, delivered by a Celery task after commit."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", pgettext_lazy("notification status", "Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
        related_name="notifications", verbose_name=_("recipient"), db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=16, default="sms")
    event = models.CharField(_("event"), max_length=64, help_text=_("Machine-readable cause, e.g. member_verified."))
    body = models.TextField(_("message"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="notification_pending_idx"),
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
            # The back office's event filter: its values and its pages (admin_filters).
            models.Index(fields=["event", "id"], name="notification_event_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="notification_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{label(NOTIFICATION_EVENTS, self.event)} → {self.user_id} ({self.get_status_display()})"


class AuditLog(models.Model):
    """One row per state change: who did what to which object, with old and new values."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64)
    # Found by audit_object_idx, which leads with it.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("object type"), db_index=False,
    )
    object_id = models.CharField(_("object id"), max_length=64)
    # The organisation path of the object, so staff see only their tree's audit rows.
    organization_path = models.CharField(_("union path"), max_length=255, blank=True, default="")
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    SCOPE_PATH = "organization_path"

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object_idx"),
            # The back office's action filter: its values and its pages (admin_filters).
            models.Index(fields=["action", "id"], name="audit_action_idx"),
        ]

    def __str__(self):
        return f"{label(AUDIT_ACTIONS, self.action)} · {self.content_type.name} #{self.object_id}"
