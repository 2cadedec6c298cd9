"""SMS backends. settings.SMS_BACKEND names the class; a real gateway implements `send`."""

import logging

from unionportal.core.pii import mask_phone

logger = logging.getLogger("unionportal.sms")


class LoggingSmsBackend:
    """Writes each message to the log instead of sending it (development and demos)."""

    def send(self, *, phone: str, body: str, message_id: str) -> None:
        # `message_id` lets a real gateway drop a repeat of the same notification.
        logger.info("SMS %s to %s: %s", message_id, mask_phone(phone), body)
