"""Reads of the convalescence app, always starting from what the caller may see."""

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import ExtractYear, Substr
from django.utils.translation import gettext

from members.models import Organization
from members.scoping import scope_prefix, scope_queryset

from .models import Nomination, NominationStatus, Session, Settlement

_SESSION_RELATED = ("program__base", "organising_union")


def _with_counts(queryset):
    return queryset.annotate(
        waiting_count=Count("nominations", filter=Q(nominations__status=NominationStatus.WAITING)),
        approved_count=Count("nominations", filter=Q(nominations__status=NominationStatus.APPROVED)),
    )


def sessions_offered_to_path(path: str):
    """Sessions whose organising union is `path` or above it: open to that part of the tree."""
    return Session.objects.annotate(_viewer_path=Value(path)).filter(_viewer_path__startswith=F("organising_union__path"))


def sessions_visible_to(user, *, with_counts=False):
    """Staff: sessions their tree organises, and those organised above them for their members.

    Members: sessions offered to their union, and any session they are nominated for.
    """
    prefix = scope_prefix(user)
    if user.is_authenticated and user.is_staff and prefix is not None:
        if prefix == "":
            queryset = Session.objects.all()
        else:
            ids = sessions_offered_to_path(prefix).values("pk")
            queryset = Session.objects.filter(Q(organising_union__path__startswith=prefix) | Q(pk__in=ids))
    elif user.is_authenticated and hasattr(user, "member"):
        member = user.member
        ids = sessions_offered_to_path(member.organization.path).values("pk")
        # Subqueries, not a join: a join on nominations here would also narrow the seat counts.
        own = Nomination.objects.filter(member=member).values("session_id")
        queryset = Session.objects.filter(Q(pk__in=ids) | Q(pk__in=own))
    else:
        queryset = Session.objects.none()
    queryset = queryset.select_related(*_SESSION_RELATED)
    return _with_counts(queryset) if with_counts else queryset


def sessions_upcoming_for_member(member, today):
    """What a member may sign up for: sessions offered to their union that have not started."""
    return (
        sessions_offered_to_path(member.organization.path)
        .filter(starts_on__gt=today, program__is_active=True)
        .select_related(*_SESSION_RELATED).order_by("starts_on", "pk")
    )


def nominations_visible_to(user):
    """Staff: nominations of members in their tree. Members: their own."""
    queryset = Nomination.objects.select_related("member", "session__program__base", "session__organising_union")
    if user.is_authenticated and user.is_staff and scope_prefix(user) is not None:
        return scope_queryset(queryset, user)
    if user.is_authenticated and hasattr(user, "member"):
        return queryset.filter(member=user.member)
    return queryset.none()


def nominations_of_member(member):
    return (
        Nomination.objects.filter(member=member)
        .select_related("session__program__base", "session__organising_union")
        .order_by("-trip_starts_on", "-pk")
    )


def session_roster(session):
    """Everyone on a session's list, in the order staff call them."""
    return (
        session.nominations.select_related("member__organization", "decided_by", "checked_in_by")
        .order_by("status", "-priority_score", "nominated_at", "pk")
    )


def settlements_visible_to(user):
    return scope_queryset(
        Settlement.objects.select_related("session__program__base", "session__organising_union").prefetch_related("lines"),
        user,
    )


# MP paths grow by 4 characters per level: city (4), district (8).
DISTRICT_PATH_LENGTH = Organization.steplen * 2


def yearly_figures_by_district(user, year: int) -> list[dict]:
    """Sessions held, workers taken and subsidy per district for one year (settled sessions)."""
    rows = (
        settlements_visible_to(user).filter(session__starts_on__year=year)
        .annotate(district_path=Substr("session__organising_union__path", 1, DISTRICT_PATH_LENGTH))
        .values("district_path")
        .annotate(sessions=Count("pk"), workers=Sum("attendees"), subsidy=Sum("total"))
        .order_by("district_path")
    )
    names = dict(Organization.objects.filter(path__in=[r["district_path"] for r in rows]).values_list("path", "name"))
    figures = []
    for row in rows:
        name = names.get(row["district_path"], row["district_path"])
        if len(row["district_path"]) < DISTRICT_PATH_LENGTH:
            # Sessions the city federation organises itself, not through a district.
            name = gettext("%(name)s (city level)") % {"name": name}
        figures.append({**row, "name": name})
    return figures


def yearly_figures_by_organiser(user, year: int) -> list[dict]:
    rows = (
        settlements_visible_to(user).filter(session__starts_on__year=year)
        .values("session__organising_union__name")
        .annotate(sessions=Count("pk"), workers=Sum("attendees"), subsidy=Sum("total"))
        .order_by("session__organising_union__name")
    )
    return [{"name": r["session__organising_union__name"], **r} for r in rows]


def yearly_totals(user) -> list[dict]:
    """Every year's totals, newest first."""
    return list(
        settlements_visible_to(user).annotate(year=ExtractYear("session__starts_on")).values("year")
        .annotate(sessions=Count("pk"), workers=Sum("attendees"), subsidy=Sum("total")).order_by("-year")
    )

