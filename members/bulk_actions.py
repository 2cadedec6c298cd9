"""Bulk member actions: verifying, rejecting or transferring every member a list holds.

Asked for in the back office with "select all"; a Celery worker hands each member to the same
service a single member goes through (locked, checked, audited, notified), one transaction per
member, and records its place in that transaction. A run that dies resumes where it stopped, a
second delivery finds the action taken, and no member is handled twice. A run works for a slice
of time and then queues the rest, so a district's hundred thousand members never hold a worker
for an hour.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from unionportal.core.errors import DomainError
from unionportal.core.pii import mask_personal_numbers
from unionportal.core.services import audit_log, task_queue

from . import services
from .admin_scoping import role_allows
from .member_list import QUERY_STRING_MAX, member_changelist
from .models import Member, MemberBulkAction, PendingMember, User
from .scoping import is_in_scope, scope_prefix

logger = logging.getLogger(__name__)

Kind, Status = MemberBulkAction.Kind, MemberBulkAction.Status
LISTS = {MemberBulkAction.List.MEMBERS: Member, MemberBulkAction.List.PENDING: PendingMember}
UNFINISHED = (Status.QUEUED, Status.RUNNING)
# A queued or running action whose heartbeat is this old was never delivered, or its worker died.
SILENT = timedelta(minutes=10)
# How long one run works before it queues the rest, and how many members it reads at a time.
SLICE_SECONDS = 60
CHUNK = 200


def member_bulk_request(*, actor, kind: str, model=Member, query_string: str, description: str,
                        to_organization=None, reason: str = "") -> MemberBulkAction:
    """Queue `kind` for every member of `model`'s list as `actor` sees it with these filters."""
    prefix = scope_prefix(actor)
    if prefix is None or not role_allows(actor, "change"):
        raise DomainError("permission_denied", _("Your role does not allow this."), status=403)
    if len(query_string) > QUERY_STRING_MAX:
        raise DomainError("filters_too_long", _("The list's filters are too long: narrow them."),
                          field="query_string")
    reason = (reason or "").strip()
    if kind == Kind.REJECT and not reason:
        raise DomainError("reason_required", _("Give a reason for the rejection."), field="reason")
    if kind == Kind.TRANSFER and (to_organization is None or not is_in_scope(actor, to_organization)):
        raise DomainError("organization_required", _("Choose a union in your tree to move the members to."),
                          field="organization")
    description = mask_personal_numbers(description)[:500]
    member_list = next(name for name, listed in LISTS.items() if listed is model)
    with transaction.atomic():
        action = MemberBulkAction.objects.create(
            kind=kind, requested_by=actor, organization_path=prefix, member_list=member_list,
            query_string=query_string, description=description, to_organization=to_organization, reason=reason,
            last_member_at_request=Member.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        )
        audit_log(actor=actor, action="member_bulk_requested", obj=action, organization_path=prefix, changes={
            "kind": kind, "filters": mask_personal_numbers(query_string), "description": description,
            "to_organization": getattr(to_organization, "pk", None), "reason": reason,
        })
        transaction.on_commit(lambda: _queue_run(action.pk))
    return action


def _queue_run(action_id: int) -> None:
    from .tasks import member_bulk_action_run

    task_queue(member_bulk_action_run, action_id, what=f"bulk member action {action_id}")


def member_bulk_run(action_id: int, slice_seconds: float = SLICE_SECONDS) -> MemberBulkAction | None:
    """Work through the action for a slice of time; None when another run holds it or it is over."""
    now = timezone.now()
    # One conditional UPDATE: of two deliveries at once, one takes the action; a running one is
    # taken over only once its heartbeat has gone silent.
    claimed = (
        MemberBulkAction.objects.filter(pk=action_id, status__in=UNFINISHED)
        .exclude(status=Status.RUNNING, heartbeat_at__gte=now - SILENT)
        .update(status=Status.RUNNING, run=F("run") + 1, heartbeat_at=now)
    )
    if not claimed:
        return None
    action = MemberBulkAction.objects.select_related("requested_by", "to_organization").get(pk=action_id)
    with translation.override(action.requested_by.preferred_language or settings.LANGUAGE_CODE):
        return _work_through(action, deadline=time.monotonic() + slice_seconds)


class _Refused(Exception):
    """The action cannot go on, for the reason given."""


def _members(action: MemberBulkAction, requester):
    """The members the action still takes in, as the requester's list holds them now, within
    the tree they asked in. Raises _Refused when the requester may no longer do it."""
    if not role_allows(requester, "change"):
        raise _Refused(_("Your role no longer allows this action."))
    prefix = scope_prefix(requester)
    if prefix is None or not action.organization_path.startswith(prefix):
        # Moved to another part of the tree: its members were never what they confirmed.
        raise _Refused(_("Your part of the union tree has changed since you asked: ask again from the list."))
    try:
        members = member_changelist(requester, action.query_string, LISTS[action.member_list]).queryset
    except PermissionDenied:
        raise _Refused(_("You may no longer see members.")) from None
    except IncorrectLookupParameters:
        raise _Refused(_("The list's filters could not be read: ask again from the list.")) from None
    members = members.filter(organization__path__startswith=action.organization_path)
    if action.kind in (Kind.VERIFY, Kind.REJECT):
        members = members.filter(status=Member.Status.PENDING)  # the rest would only be refused
    return members.filter(pk__lte=action.last_member_at_request)


def _next_chunk(action: MemberBulkAction) -> tuple:
    """(the requester as they are now, the next members in order); read again for each chunk,
    so an assignment taken away or changed stops the action."""
    requester = User.objects.get(pk=action.requested_by_id)
    members = _members(action, requester)
    if action.member_count is None:
        _count(action, members)
    return requester, list(members.filter(pk__gt=action.last_member_done).order_by("pk")[:CHUNK])


def _work_through(action: MemberBulkAction, deadline: float) -> MemberBulkAction:
    while True:
        try:
            requester, chunk = _next_chunk(action)
        except _Refused as refusal:
            return _finish(action, Status.FAILED, refusal.args[0])
        except Exception:  # a query that timed out, filters a deploy removed: failed, not left running
            logger.exception("bulk member action %s could not read its members", action.pk)
            return _finish(action, Status.FAILED, _(
                "An unexpected error stopped the action; the members before it were handled."))
        if not chunk:
            return _finish(action, Status.DONE)
        for member in chunk:
            try:
                held = _handle(action, requester, member)
            except Exception:
                logger.exception("bulk member action %s stopped at member %s", action.pk, member.pk)
                return _finish(action, Status.FAILED, _(
                    "An unexpected error stopped the action; the members before it were handled."))
            if not held:  # stopped by staff, or taken over by a later run
                action.refresh_from_db()
                return action
            if time.monotonic() > deadline:
                return _queue_rest(action)


def _count(action: MemberBulkAction, members) -> None:
    """How many members the action takes in, for its progress: counted once, by its first run."""
    action.member_count = members.count()
    MemberBulkAction.objects.filter(pk=action.pk, run=action.run).update(member_count=action.member_count)


def _handle(action: MemberBulkAction, actor, member: Member) -> bool:
    """One member, and the action's place after it, in one transaction. False when this run no
    longer holds the action: the member's change is then rolled back."""
    with transaction.atomic():
        skipped = None
        try:
            _apply(action, actor, member)
        except DomainError as error:
            skipped = str(error.message)
        counts = {"skipped_count": F("skipped_count") + 1} if skipped else {"done_count": F("done_count") + 1}
        if skipped:
            action.skipped_reasons[skipped] = action.skipped_reasons.get(skipped, 0) + 1
            counts["skipped_reasons"] = action.skipped_reasons
        held = MemberBulkAction.objects.filter(
            pk=action.pk, run=action.run, status=Status.RUNNING, last_member_done__lt=member.pk,
        ).update(last_member_done=member.pk, heartbeat_at=timezone.now(), **counts)
        if not held:
            transaction.set_rollback(True)
            return False
    action.last_member_done = member.pk
    return True


def _apply(action: MemberBulkAction, actor, member: Member) -> None:
    if action.kind == Kind.VERIFY:
        services.member_verify(actor=actor, member=member)
    elif action.kind == Kind.REJECT:
        services.member_reject(actor=actor, member=member, reason=action.reason)
    else:
        services.member_transfer(actor=actor, member=member, to_organization=action.to_organization,
                                 reason=action.reason)


def _queue_rest(action: MemberBulkAction) -> MemberBulkAction:
    MemberBulkAction.objects.filter(pk=action.pk, run=action.run, status=Status.RUNNING).update(
        status=Status.QUEUED, heartbeat_at=timezone.now(),
    )
    transaction.on_commit(lambda: _queue_run(action.pk))
    action.refresh_from_db()
    return action


def _finish(action: MemberBulkAction, status: str, reason="") -> MemberBulkAction:
    MemberBulkAction.objects.filter(pk=action.pk, run=action.run, status=Status.RUNNING).update(
        status=status, failure=str(reason), finished_at=timezone.now(),
    )
    action.refresh_from_db()
    return action


def member_bulk_stop(*, actor, action: MemberBulkAction) -> bool:
    """Stop an unfinished action where it is: the members already handled stay handled."""
    if not role_allows(actor, "change"):
        raise DomainError("permission_denied", _("Your role does not allow this."), status=403)
    stopped = MemberBulkAction.objects.filter(pk=action.pk, status__in=UNFINISHED).update(
        status=Status.STOPPED, finished_at=timezone.now(),
    )
    if stopped:
        action.refresh_from_db()
        audit_log(actor=actor, action="member_bulk_stopped", obj=action, organization_path=action.organization_path,
                  changes={"done": action.done_count, "left_alone": action.skipped_count})
    return bool(stopped)


def member_bulk_actions_tidy(now=None) -> int:
    """Hand out again the actions never delivered, or whose worker died; how many."""
    now = now or timezone.now()
    silent = list(MemberBulkAction.objects.filter(status__in=UNFINISHED, heartbeat_at__lt=now - SILENT)
                  .values_list("pk", flat=True))
    for action_id in silent:
        _queue_run(action_id)
    return len(silent)
