"""Celery entry points of the stations app."""

from celery import shared_task

from . import services


@shared_task
def session_reminders_send() -> int:
    """Remind members of the sessions they booked that start within a day; each session once."""
    return services.session_reminders_send()
