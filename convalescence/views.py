"""Mobile pages: my trips (confirm or decline), upcoming sessions, one session."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from unionportal.core.errors import DomainError

from . import selectors, services
from .api import nomination_next_action
from .models import Nomination, Theme


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
