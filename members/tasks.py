"""Celery entry points of the members app (safe to run twice)."""

from celery import shared_task

from . import bulk_actions, exports


@shared_task(acks_late=True)
def member_export_build(export_id: int) -> int | None:
    """Write one member export's workbook; its row count, or None if another run has it."""
    export = exports.member_export_build(export_id)
    return export.row_count if export else None


@shared_task(acks_late=True)
def member_exports_tidy() -> dict:
    return exports.member_exports_tidy()


@shared_task(acks_late=True)
def member_bulk_action_run(action_id: int) -> int | None:
    """Work through a bulk member action for a slice of time; members handled so far, or None."""
    action = bulk_actions.member_bulk_run(action_id)
    return action.done_count + action.skipped_count if action else None


@shared_task(acks_late=True)
def member_bulk_actions_tidy() -> int:
    return bulk_actions.member_bulk_actions_tidy()
