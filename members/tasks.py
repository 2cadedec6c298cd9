"""Celery entry points of the members app (safe to run twice)."""

from celery import shared_task

from . import exports


@shared_task(acks_late=True)
def member_export_build(export_id: int) -> int | None:
    """Write one member export's workbook; its row count, or None if another run has it."""
    export = exports.member_export_build(export_id)
    return export.row_count if export else None


@shared_task(acks_late=True)
def member_exports_tidy() -> dict:
    return exports.member_exports_tidy()
