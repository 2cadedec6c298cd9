"""Mobile pages: my trips (confirm or decline), upcoming sessions, one session."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.admin_scoping import role_allows
from members.scoping import scope_queryset
from unionportal.core.errors import DomainError
from unionportal.core.pii import mask_name

from . import selectors, services
from .api import nomination_next_action
from .models import Nomination, NominationStatus, Session, Theme


def _member_or_none(request):
    return getattr(request.user, "member", None)


@login_required
def sessions(request):
    member = _member_or_none(request)
    if member is None:
        return render(request, "convalescence/sessions.html", {"not_a_member": True})
    today = timezone.localdate()
    trips = list(selectors.nominations_of_member(member)[:20])
    for trip in trips:
        trip.next_action = nomination_next_action(trip)
    upcoming = selectors.sessions_upcoming_for_member(member, today)[:30]
    return render(request, "convalescence/sessions.html", {"trips": trips, "upcoming": upcoming})


@login_required
def session_detail(request, pk: int):
    session = get_object_or_404(selectors.sessions_visible_to(request.user), pk=pk)
    member = _member_or_none(request)
    nomination = session.nominations.filter(member=member).first() if member else None
    if nomination:
        nomination.next_action = nomination_next_action(nomination)
    themes = [Theme(code).label for code in session.program.base.themes if code in Theme.values]
    return render(request, "convalescence/session_detail.html",
                  {"session": session, "nomination": nomination, "themes": themes})


def _own_nomination(request, pk):
    member = _member_or_none(request)
    if member is None:
        raise Http404
    return get_object_or_404(Nomination.objects.select_related("session"), pk=pk, member=member)


def _answer(request, pk, service, success):
    nomination = _own_nomination(request, pk)
    try:
        service(user=request.user, nomination=nomination)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, success)
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("convalescence:sessions")


@login_required
@require_POST
def nomination_confirm(request, pk: int):
    return _answer(request, pk, services.nomination_confirm, _("Confirmed. See you on the first day!"))


@login_required
@require_POST
def nomination_decline(request, pk: int):
    return _answer(request, pk, services.nomination_decline, _("Declined. Your place goes to the next member."))


def _staff_session(request, pk):
    """A session the staff member's tree organises; anything else does not exist for them."""
    if not (request.user.is_staff and role_allows(request.user, "change")):
        raise Http404
    queryset = scope_queryset(Session.objects.select_related("program__base", "organising_union"), request.user)
    return get_object_or_404(queryset, pk=pk)


@login_required
def session_roster(request, pk: int):
    """Staff check members in on the day: scan the card's QR code (a scanner types it) or tick the list."""
    session = _staff_session(request, pk)
    if request.method == "POST":
        scanned = request.POST.get("card", "").strip()
        nomination_id = request.POST.get("nomination", "")
        try:
            nomination = services.nomination_check_in(
                actor=request.user, session=session,
                card_token=scanned if ":" in scanned else "", card_number="" if ":" in scanned else scanned,
                nomination_id=int(nomination_id) if nomination_id.isdecimal() else None,
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("%(name)s is checked in.") % {"name": mask_name(nomination.member.name)})
        return redirect("convalescence:roster", pk=session.pk)
    roster = list(
        session.nominations.filter(status__in=(NominationStatus.CONFIRMED, NominationStatus.ATTENDED))
        .select_related("member__organization").order_by("status", "member__organization__name", "pk")
    )
    for nomination in roster:
        nomination.masked_name = mask_name(nomination.member.name)
    return render(request, "convalescence/roster.html", {
        "session": session, "roster": roster,
        "attended": sum(1 for n in roster if n.status == NominationStatus.ATTENDED),
    })
