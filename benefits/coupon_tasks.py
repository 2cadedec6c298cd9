"""Coupon jobs for Celery beat: draw closed lotteries, expire unused coupons. Safe to run twice."""

import logging

from celery import shared_task
from django.utils import timezone

from unionportal.core.errors import DomainError

from . import coupon_services as services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def coupon_lottery_draw(batch_id: int) -> str:
    """Draw one lottery batch; a drawn batch keeps its first draw."""
    try:
        draw = services.lottery_draw(batch_id=batch_id)
    except DomainError as error:
        return error.code
    return f"{draw.winners}/{draw.applicants}"


@shared_task(acks_late=True)
def coupon_lotteries_draw_due() -> int:
    """Draw every lottery batch whose application window has closed."""
    due = services.lotteries_due(timezone.now())
    for batch_id in due:
        try:
            services.lottery_draw(batch_id=batch_id)
        except Exception:  # one broken batch must not stop the others; it is retried next run
            logger.exception("lottery draw of batch %s failed", batch_id)
    return len(due)


@shared_task(acks_late=True)
def coupons_expire_due() -> int:
    return services.coupons_expire()
