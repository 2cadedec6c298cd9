"""Reads about members and unions, always starting from what the caller may see."""

import re

from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Concat

from . import rules
from .models import Member, Organization, User, id_number_hash, phone_hash
from .scoping import scope_queryset


def organizations_matching(queryset: QuerySet, query: str) -> QuerySet:
    """Organisations whose own or any ancestor's name contains every word of `query`.

    The token array (GIN index) narrows the candidates; the exact substring test on the
    joined names confirms them.
    """
    words = [word for word in (query or "").split()[:5] if rules.query_tokens(word)]
    if not words:
        return queryset
    queryset = queryset.annotate(search_text=Concat(
        Func(F("ancestor_names"), Value(" "), function="array_to_string", output_field=CharField()),
        Value(" "), F("name"), output_field=CharField(),
    ))
    for word in words:
        queryset = queryset.filter(search_tokens__contains=rules.query_tokens(word), search_text__icontains=word)
    return queryset


def organizations_for_joining(query: str = "") -> QuerySet:
    """Active grassroots unions a worker can pick when joining (public)."""
    queryset = Organization.objects.filter(kind__in=Organization.GRASSROOTS_KINDS, is_active=True)
    return organizations_matching(queryset, query).order_by("path")


def members_search(queryset: QuerySet, query: str) -> QuerySet:
    """Search by name (prefix), card number, or a FULL ID or phone number via the keyed hash."""
    query = (query or "").strip()
    if not query:
        return queryset
    # A full ID or mobile number is looked up by its keyed hash alone (one index, and the
    # plain number never reaches the database); no name or card number looks like either.
    id_number = rules.normalize_id_number(query)
    if re.fullmatch(r"\d{17}[\dX]", id_number):
        return queryset.filter(id_number_hash=id_number_hash(id_number))
    phone = rules.normalize_phone(query)
    if rules.is_mainland_mobile(phone):
        # Resolved to the user's key first: a filter across the join to the users table would
        # let PostgreSQL scan both tables; on the member's own user_id it is an index lookup.
        user_ids = list(User.objects.filter(phone_hash=phone_hash(phone)).values_list("pk", flat=True))
        return queryset.filter(user_id__in=user_ids)
    return queryset.filter(Q(name__startswith=query) | Q(card_number=query))


def members_visible_to(user, *, status: str = "", organization: Organization | None = None, query: str = "") -> QuerySet:
    """Members in the staff member's tree, optionally below one organisation of it."""
    queryset = scope_queryset(Member.objects.select_related("organization", "user", "verified_by"), user)
    if status:
        queryset = queryset.filter(status=status)
    if organization is not None:
        queryset = queryset.filter(organization__path__startswith=organization.path)
    return members_search(queryset, query)


def organizations_visible_to(user) -> QuerySet:
    return scope_queryset(Organization.objects.all(), user)
