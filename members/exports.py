"""Member exports: asked for in the back office, written by a Celery worker, downloaded by the
staff member who asked, deleted when they expire. Asking and downloading are audited."""

import logging
import os
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from unionportal.core.errors import DomainError
from unionportal.core.pii import mask_personal_numbers
from unionportal.core.services import audit_log, task_queue

from .admin_scoping import role_allows
from .member_list import QUERY_STRING_MAX, member_changelist
from .models import MemberExport
from .roster import roster_write
from .scoping import scope_prefix

logger = logging.getLogger(__name__)

# A run this old without an end died with its worker: the tidy-up hands it out again.
STALE_RUN = timedelta(hours=1)
# A queued export nobody picked up this long after it was asked for (the broker was away then).
UNCLAIMED = timedelta(minutes=10)


def member_export_request(*, actor, query_string: str, description: str) -> MemberExport:
    """Queue an export of the member list as `actor` sees it with these filters."""
    prefix = scope_prefix(actor)
    if prefix is None or not role_allows(actor, "view"):
        raise DomainError("not_allowed", _("You may not export members."), status=403)
    if len(query_string) > QUERY_STRING_MAX:
        raise DomainError("filters_too_long", _("The list's filters are too long to export: narrow them."),
                          field="query_string")
    # What is shown and audited has ID and mobile numbers searched for masked; the worker reads the
    # filters themselves from their encrypted column.
    description = mask_personal_numbers(description)[:500]
    with transaction.atomic():
        export = MemberExport.objects.create(
            requested_by=actor, organization_path=prefix, query_string=query_string, description=description,
        )
        audit_log(actor=actor, action="member_export_requested", obj=export, organization_path=prefix,
                  changes={"filters": mask_personal_numbers(query_string), "description": description})
        transaction.on_commit(lambda: _queue_build(export.pk))
    return export


def _queue_build(export_id: int) -> None:
    from .tasks import member_export_build

    task_queue(member_export_build, export_id, what=f"member export {export_id}")


def member_export_build(export_id: int) -> MemberExport | None:
    """Write the export's workbook; None when another worker has it or it is done (safe to run twice)."""
    now = timezone.now()
    claimed = MemberExport.objects.filter(pk=export_id).filter(
        Q(status=MemberExport.Status.QUEUED) | Q(status=MemberExport.Status.RUNNING, started_at__lt=now - STALE_RUN),
    ).update(status=MemberExport.Status.RUNNING, started_at=now)
    if not claimed:
        return None
    export = MemberExport.objects.select_related("requested_by").get(pk=export_id)
    requester = export.requested_by
    with translation.override(requester.preferred_language or settings.LANGUAGE_CODE):
        try:
            members = member_changelist(requester, export.query_string).queryset
        except PermissionDenied:
            return _fail(export, _("You may no longer see members."))
        except IncorrectLookupParameters:
            return _fail(export, _("The list's filters could not be read: ask again from the member list."))
        name = f"exports/members/{export.pk}.xlsx"
        path = export.file.storage.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            # Written beside the final name and moved there whole: a worker that dies leaves no
            # half file under it, and the next run writes over the part.
            rows = roster_write(members.order_by("organization__path", "pk"), path + ".part")
            os.replace(path + ".part", path)
        except Exception:
            logger.exception("member export %s could not be written", export.pk)
            if os.path.exists(path + ".part"):
                os.remove(path + ".part")
            return _fail(export, _("The file could not be written: please ask for it again."))
    finished = timezone.now()
    MemberExport.objects.filter(pk=export.pk, status=MemberExport.Status.RUNNING).update(
        status=MemberExport.Status.READY, file=name, row_count=rows, finished_at=finished,
        expires_at=finished + settings.MEMBER_EXPORT_LIFETIME,
    )
    export.refresh_from_db()
    return export


def _fail(export: MemberExport, reason) -> MemberExport:
    MemberExport.objects.filter(pk=export.pk).update(
        status=MemberExport.Status.FAILED, failure=str(reason), finished_at=timezone.now(),
    )
    export.refresh_from_db()
    return export


def member_export_open(*, actor, export: MemberExport):
    """The export's file, opened for the staff member who asked for it; the download is audited."""
    if export.requested_by_id != actor.pk or scope_prefix(actor) is None:
        raise DomainError("not_found", _("No such export."), status=404)
    if export.status != MemberExport.Status.READY or export.expires_at <= timezone.now():
        raise _not_available()
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:  # its storage lost it: as good as expired
        logger.error("member export %s has no file at %s", export.pk, export.file.name)
        raise _not_available() from None
    audit_log(actor=actor, action="member_export_downloaded", obj=export, organization_path=export.organization_path,
              changes={"rows": export.row_count})
    return handle


def _not_available() -> DomainError:
    return DomainError(
        "not_ready", _("This export is not available: it is still being written, or it has expired."), status=409,
    )


def member_exports_tidy(now=None) -> dict:
    """Delete expired files; hand out again what was never picked up or died with its worker."""
    now = now or timezone.now()
    expired = 0
    for export in MemberExport.objects.filter(status=MemberExport.Status.READY, expires_at__lte=now):
        export.file.delete(save=False)
        expired += MemberExport.objects.filter(pk=export.pk, status=MemberExport.Status.READY).update(
            status=MemberExport.Status.EXPIRED, file="",
        )
    waiting = list(MemberExport.objects.filter(
        Q(status=MemberExport.Status.QUEUED, requested_at__lt=now - UNCLAIMED)
        | Q(status=MemberExport.Status.RUNNING, started_at__lt=now - STALE_RUN),
    ).values_list("pk", flat=True))
    for export_id in waiting:
        _queue_build(export_id)
    return {"expired": expired, "queued_again": len(waiting)}
