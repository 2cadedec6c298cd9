"""Celery entry points of the convalescence app (safe to run twice)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, max_retries=3, default_retry_delay=60)
def nominations_lapse_overdue() -> int:
    """Approved places not confirmed by their deadline lapse; the waiting list moves up."""
    return services.nominations_lapse()
