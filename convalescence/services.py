"""Writes of the convalescence app: every state change of a session or nomination.

Locking: every change that moves a seat locks the session row first (once per
transaction; sessions in pk order when there are several), then rereads what it counts.
The database backs each limit (check, unique and exclusion constraints); an
IntegrityError that slips past the checks becomes a DomainError with a clear message.
"""

from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.admin_scoping import role_allows
from members.models import Member
from members.scoping import is_in_scope
from unionportal.core.errors import DomainError
from unionportal.core.services import audit_log, notification_send

from . import rules
from .models import (
    ACTIVE_STATUSES, SEAT_STATUSES, Nomination, NominationStatus, Program, SeatQuota, Session, Settlement,
    SettlementLine, SubsidyRate,
)

# How long a member has to answer when a seat comes to them from the waiting list.
WAITING_LIST_RESPONSE_WINDOW = timedelta(hours=48)
# Nominations that use up a union's quota.
QUOTA_STATUSES = (NominationStatus.NOMINATED, *SEAT_STATUSES)


def _require_staff(user, organization, action="change"):
    """The user is staff allowed to `action` on `organization`'s tree; else it does not exist for them."""
    if not (user and user.is_authenticated and user.is_staff and role_allows(user, action)):
        raise DomainError("permission_denied", _("You may not do this."), status=403)
    if not is_in_scope(user, organization):
        raise DomainError("not_found", _("Not found."), status=404)


def _lock_session(session_id) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("program__base", "organising_union")
        .get(pk=session_id)
    )


def _start_of_day(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _audit(actor, action, obj, session, **changes):
    audit_log(actor=actor, action=f"convalescence.{action}", obj=obj, changes=changes,
              organization_path=session.organising_union.path)


def _session_label(session):
    return f"{session.program.base.name}·{session.program.name}（{session.starts_on:%Y-%m-%d}）"


# --- Sessions -------------------------------------------------------------------------


def session_create(*, actor, program: Program, organising_union, starts_on, seats: int, nomination_opens_at,
                   nomination_closes_at, confirmation_deadline) -> Session:
    _require_staff(actor, organising_union, "add")
    if seats < 1:
        raise DomainError("invalid", _("A session needs at least one seat."), field="seats")
    if nomination_closes_at <= nomination_opens_at:
        raise DomainError("invalid", _("Nominations must close after they open."), field="nomination_closes_at")
    if not (nomination_closes_at <= confirmation_deadline <= _start_of_day(starts_on)):
        raise DomainError(
            "invalid", _("The confirmation deadline must fall after nominations close and before the first day."),
            field="confirmation_deadline",
        )
    if not program.is_active or not program.base.is_active:
        raise DomainError("invalid", _("This program is not offered any more."), field="program")
    with transaction.atomic():
        session = Session.objects.create(
            program=program, organising_union=organising_union, starts_on=starts_on,
            ends_on=starts_on + timedelta(days=program.days - 1), seats=seats,
            nomination_opens_at=nomination_opens_at, nomination_closes_at=nomination_closes_at,
            confirmation_deadline=confirmation_deadline,
        )
        _audit(actor, "session.create", session, session, seats=seats, starts_on=starts_on.isoformat())
    return session


def session_quotas_set(*, actor, session: Session, quotas: dict) -> list[SeatQuota]:
    """Split the seats into quotas {organization: seats}; seats not given out stay open to all."""
    _require_staff(actor, session.organising_union, "change")
    for organization, seats in quotas.items():
        if not organization.path.startswith(session.organising_union.path) or organization == session.organising_union:
            raise DomainError(
                "invalid", _("%(union)s is not under the organising union.") % {"union": organization.name},
                field="organization",
            )
        if seats < 1:
            raise DomainError("invalid", _("A quota needs at least one seat."), field="seats")
    with transaction.atomic():
        session = _lock_session(session.pk)
        if sum(quotas.values()) > session.seats:
            raise DomainError(
                "quota_exceeds_seats", _("The quotas add up to more than the session's %(seats)d seats.")
                % {"seats": session.seats}, field="seats",
            )
        before = {q.organization_id: q.seats for q in session.quotas.all()}
        session.quotas.all().delete()
        created = SeatQuota.objects.bulk_create(
            [SeatQuota(session=session, organization=org, seats=seats) for org, seats in quotas.items()]
        )
        _audit(actor, "session.quotas", session, session, before=before,
               after={str(org.pk): seats for org, seats in quotas.items()})
    return created


def _quota_for(session: Session, member: Member):
    """The deepest quota covering the member's union, or None (open seats)."""
    covering = [q for q in session.quotas.select_related("organization")
                if member.organization.path.startswith(q.organization.path)]
    return max(covering, key=lambda q: len(q.organization.path), default=None)


def _pool_room(session: Session, member: Member, statuses) -> int:
    """Room left in the member's pool (their union's quota, or the open seats) counting `statuses`.

    Caller holds the session lock.
    """
    quota = _quota_for(session, member)
    counted = session.nominations.filter(status__in=statuses)
    if quota is not None:
        used = counted.filter(organization__path__startswith=quota.organization.path).count()
        return quota.seats - used
    quotas = list(session.quotas.select_related("organization"))
    open_seats = session.seats - sum(q.seats for q in quotas)
    outside = Q()
    for q in quotas:
        outside &= ~Q(organization__path__startswith=q.organization.path)
    return open_seats - counted.filter(outside).count()


def _has_free_seat(session: Session, member: Member) -> bool:
    """A seat is free for this member: in the session and in their pool. Caller holds the session lock."""
    return _seats_held(session) < session.seats and _pool_room(session, member, SEAT_STATUSES) > 0


# --- Nominations ------------------------------------------------------------------------


def _trip_facts(session: Session) -> rules.TripFacts:
    return rules.TripFacts(
        program_kind=session.program.kind, starts_on=session.starts_on, ends_on=session.ends_on,
        is_out_of_province=session.program.base.is_out_of_province,
    )


def member_facts(member: Member) -> rules.MemberFacts:
    since = member.verified_at or member.joined_at
    return rules.MemberFacts(
        is_frontline=member.is_frontline, is_technical=member.is_technical,
        model_worker_level=member.model_worker_level, has_hardship_file=member.has_hardship_file,
        member_since=timezone.localdate(since),
    )


def member_other_trips(member: Member, exclude_session_id=None) -> list[rules.TripFacts]:
    nominations = (
        Nomination.objects.filter(member=member, status__in=ACTIVE_STATUSES)
        .exclude(session_id=exclude_session_id).select_related("session__program__base")
    )
    return [_trip_facts(n.session) for n in nominations]


def nomination_create(*, actor, session: Session, member: Member, now=None) -> Nomination:
    """Enterprise union staff put a member of their tree forward, within their quota."""
    now = now or timezone.now()
    _require_staff(actor, member.organization, "add")
    if member.status != Member.Status.ACTIVE:
        raise DomainError("member_not_active", _("Only active members can be nominated."), field="member")
    if not member.organization.path.startswith(session.organising_union.path):
        raise DomainError("not_found", _("Not found."), status=404)
    if not (session.nomination_opens_at <= now <= session.nomination_closes_at):
        raise DomainError("nomination_closed", _("Nominations for this session are not open."), field="session")
    today = timezone.localdate(now)
    with transaction.atomic():
        session = _lock_session(session.pk)
        verdict = rules.nomination_eligibility(member_facts(member), _trip_facts(session), member_other_trips(member, session.pk))
        if not verdict:
            raise DomainError("not_eligible", " ".join(str(r) for r in verdict.reasons), status=409, field="member")
        if session.nominations.filter(member=member).exists():
            raise DomainError("already_nominated", _("This member has already been nominated for this session."),
                              status=409, field="member")
        # A union with a quota nominates at most its quota; open seats take any number of
        # nominations (the organising union approves up to the seats, the rest wait).
        if _quota_for(session, member) is not None and _pool_room(session, member, QUOTA_STATUSES) <= 0:
            raise DomainError("quota_full", _("Your union's places for this session are all taken."), status=409)
        priority = rules.nomination_priority(member_facts(member), session.program.kind, today)
        try:
            with transaction.atomic():
                nomination = Nomination.objects.create(
                    session=session, member=member, status=NominationStatus.NOMINATED,
                    priority_score=priority.score, priority_reasons=[list(r) for r in priority.reasons],
                    trip_starts_on=session.starts_on, trip_ends_on=session.ends_on,
                    nominated_by=actor, nominated_at=now,
                )
        except IntegrityError as error:
            if "conv_nomination_no_overlap" in str(error):
                raise DomainError("not_eligible", _("The member already has a trip on these dates."), status=409,
                                  field="member") from error
            raise DomainError("already_nominated", _("This member has already been nominated for this session."),
                              status=409, field="member") from error
        _audit(actor, "nomination.create", nomination, session, member=member.pk, status=nomination.status,
               priority_score=priority.score)
        notification_send(user=member.user, event="convalescence.nominated", message=_(
            "You have been nominated for the convalescence session %(session)s. We will tell you when it is approved."
        ) % {"session": _session_label(session)})
    return nomination


def _seats_held(session: Session) -> int:
    return session.nominations.filter(status__in=SEAT_STATUSES).count()


def _respond_by(session: Session, now):
    """Answer by the session's deadline, or within the waiting-list window, but before the first day."""
    return min(max(session.confirmation_deadline, now + WAITING_LIST_RESPONSE_WINDOW), _start_of_day(session.starts_on))


def _give_seat(nomination: Nomination, session: Session, actor, now, *, from_waiting_list=False):
    old = nomination.status
    nomination.status = NominationStatus.APPROVED
    nomination.respond_by = _respond_by(session, now)
    if not from_waiting_list:
        nomination.decided_by, nomination.decided_at = actor, now
    nomination.save(update_fields=["status", "respond_by", "decided_by", "decided_at"])
    _audit(actor, "nomination.waiting_list_promote" if from_waiting_list else "nomination.approve", nomination, session,
           status=[old, nomination.status])
    deadline = timezone.localtime(nomination.respond_by).strftime("%Y-%m-%d %H:%M")
    message = _(
        "A place on %(session)s is yours from the waiting list. Please confirm or decline by %(deadline)s."
    ) if from_waiting_list else _(
        "Your place on %(session)s is approved. Please confirm or decline by %(deadline)s."
    )
    notification_send(user=nomination.member.user, event="convalescence.approved",
                      message=message % {"session": _session_label(session), "deadline": deadline})


def _put_on_waiting_list(nomination: Nomination, session: Session, actor, now):
    nomination.status = NominationStatus.WAITING
    nomination.decided_by, nomination.decided_at = actor, now
    nomination.save(update_fields=["status", "decided_by", "decided_at"])
    _audit(actor, "nomination.waiting_list", nomination, session, status=[NominationStatus.NOMINATED, nomination.status])
    notification_send(user=nomination.member.user, event="convalescence.waiting", message=_(
        "All places on %(session)s are taken; you are on the waiting list and will be told if one frees up."
    ) % {"session": _session_label(session)})


def _lock_nomination(nomination_id) -> Nomination:
    return Nomination.objects.select_for_update(of=("self",)).select_related("member__user").get(pk=nomination_id)


def nomination_approve(*, actor, nomination: Nomination, now=None) -> Nomination:
    """The organising union approves: a seat if one is free, else the waiting list."""
    now = now or timezone.now()
    _require_staff(actor, nomination.session.organising_union, "change")
    with transaction.atomic():
        session = _lock_session(nomination.session_id)
        nomination = _lock_nomination(nomination.pk)
        if nomination.status != NominationStatus.NOMINATED:
            raise DomainError("invalid_status", _("Only a nomination waiting for approval can be approved."), status=409)
        if now >= _start_of_day(session.starts_on):
            raise DomainError("session_started", _("The session has already started."), status=409)
        if _has_free_seat(session, nomination.member):
            _give_seat(nomination, session, actor, now)
        else:
            _put_on_waiting_list(nomination, session, actor, now)
    return nomination


def session_nominations_approve(*, actor, session: Session, now=None) -> int:
    """Approve every pending nomination of a session in priority order; the rest wait."""
    now = now or timezone.now()
    _require_staff(actor, session.organising_union, "change")
    with transaction.atomic():
        session = _lock_session(session.pk)
        if now >= _start_of_day(session.starts_on):
            raise DomainError("session_started", _("The session has already started."), status=409)
        pending = list(
            session.nominations.filter(status=NominationStatus.NOMINATED).select_related("member__user")
            .order_by("-priority_score", "nominated_at", "pk")
        )
        for nomination in pending:
            if _has_free_seat(session, nomination.member):
                _give_seat(nomination, session, actor, now)
            else:
                _put_on_waiting_list(nomination, session, actor, now)
    return len(pending)


def nomination_reject(*, actor, nomination: Nomination, reason: str, now=None) -> Nomination:
    now = now or timezone.now()
    _require_staff(actor, nomination.session.organising_union, "change")
    if not reason.strip():
        raise DomainError("invalid", _("Give a reason."), field="reason")
    with transaction.atomic():
        session = _lock_session(nomination.session_id)
        nomination = _lock_nomination(nomination.pk)
        if nomination.status not in (NominationStatus.NOMINATED, NominationStatus.WAITING):
            raise DomainError("invalid_status", _("Only a pending or waiting nomination can be turned down."), status=409)
        old = nomination.status
        nomination.status = NominationStatus.REJECTED
        nomination.decided_by, nomination.decided_at, nomination.note = actor, now, reason.strip()[:255]
        nomination.save(update_fields=["status", "decided_by", "decided_at", "note"])
        _audit(actor, "nomination.reject", nomination, session, status=[old, nomination.status], reason=nomination.note)
        notification_send(user=nomination.member.user, event="convalescence.rejected", message=_(
            "Your nomination for %(session)s was not approved: %(reason)s"
        ) % {"session": _session_label(session), "reason": nomination.note})
    return nomination


def _own_nomination(user, nomination_id) -> Nomination:
    """The member's own nomination, locked; anyone else's does not exist."""
    nomination = _lock_nomination(nomination_id)
    if not hasattr(user, "member") or nomination.member_id != user.member.pk:
        raise DomainError("not_found", _("Not found."), status=404)
    return nomination


def nomination_confirm(*, user, nomination: Nomination, now=None) -> Nomination:
    """The member takes the approved seat, before the deadline."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _lock_session(nomination.session_id)
        nomination = _own_nomination(user, nomination.pk)
        if nomination.status == NominationStatus.CONFIRMED:
            return nomination  # pressed twice: already done
        if nomination.status != NominationStatus.APPROVED:
            raise DomainError("invalid_status", _("There is no place to confirm on this nomination."), status=409)
        if nomination.respond_by and now > nomination.respond_by:
            raise DomainError("deadline_passed", _("The time to confirm has passed."), status=409)
        try:
            with transaction.atomic():
                Session.objects.filter(pk=session.pk).update(confirmed_count=F("confirmed_count") + 1)
        except IntegrityError as error:
            raise DomainError("session_full", _("Sorry, this session is full."), status=409) from error
        nomination.status, nomination.responded_at = NominationStatus.CONFIRMED, now
        nomination.save(update_fields=["status", "responded_at"])
        _audit(user, "nomination.confirm", nomination, session, status=[NominationStatus.APPROVED, nomination.status])
        notification_send(user=user, event="convalescence.confirmed", message=_(
            "You are confirmed for %(session)s. Bring your membership card on the first day."
        ) % {"session": _session_label(session)})
    return nomination


def _promote_waiting(session: Session, actor, now) -> int:
    """Give free seats to the waiting list in priority order. Caller holds the session lock."""
    if now >= _start_of_day(session.starts_on):
        return 0
    promoted = 0
    waiting = (
        session.nominations.filter(status=NominationStatus.WAITING).select_related("member__user", "member__organization")
        .order_by("-priority_score", "nominated_at", "pk")
    )
    for nomination in waiting:
        if _seats_held(session) >= session.seats:
            break
        if _pool_room(session, nomination.member, SEAT_STATUSES) > 0:
            _give_seat(nomination, session, actor, now, from_waiting_list=True)
            promoted += 1
    return promoted


def nomination_decline(*, user, nomination: Nomination, now=None) -> Nomination:
    """The member says no (also after confirming, until the first day); the seat moves on."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _lock_session(nomination.session_id)
        nomination = _own_nomination(user, nomination.pk)
        if nomination.status == NominationStatus.DECLINED:
            return nomination
        allowed = (NominationStatus.NOMINATED, NominationStatus.APPROVED, NominationStatus.WAITING,
                   NominationStatus.CONFIRMED)
        if nomination.status not in allowed:
            raise DomainError("invalid_status", _("This nomination can no longer be declined."), status=409)
        if now >= _start_of_day(session.starts_on):
            raise DomainError("session_started", _("The session has already started."), status=409)
        old = nomination.status
        if old == NominationStatus.CONFIRMED:
            Session.objects.filter(pk=session.pk).update(confirmed_count=F("confirmed_count") - 1)
            session.refresh_from_db(fields=["confirmed_count"])
        nomination.status, nomination.responded_at = NominationStatus.DECLINED, now
        nomination.save(update_fields=["status", "responded_at"])
        _audit(user, "nomination.decline", nomination, session, status=[old, nomination.status])
        notification_send(user=user, event="convalescence.declined", message=_(
            "You have declined %(session)s. Your place goes to the next member on the waiting list."
        ) % {"session": _session_label(session)})
        _promote_waiting(session, None, now)
    return nomination


def nominations_lapse(*, now=None) -> int:
    """Approved places not confirmed in time lapse and go to the waiting list. Safe to run twice."""
    now = now or timezone.now()
    session_ids = sorted(set(
        Nomination.objects.filter(status=NominationStatus.APPROVED, respond_by__lt=now).values_list("session_id", flat=True)
    ))
    lapsed = 0
    for session_id in session_ids:  # one session per transaction, in pk order
        with transaction.atomic():
            session = _lock_session(session_id)
            overdue = list(
                session.nominations.select_for_update(of=("self",)).select_related("member__user")
                .filter(status=NominationStatus.APPROVED, respond_by__lt=now)
            )
            for nomination in overdue:
                nomination.status = NominationStatus.LAPSED
                nomination.save(update_fields=["status"])
                _audit(None, "nomination.lapse", nomination, session,
                       status=[NominationStatus.APPROVED, NominationStatus.LAPSED])
                notification_send(user=nomination.member.user, event="convalescence.lapsed", message=_(
                    "You did not confirm %(session)s in time, so the place went to the waiting list."
                ) % {"session": _session_label(session)})
            lapsed += len(overdue)
            _promote_waiting(session, None, now)
    return lapsed


# --- Attendance and settlement -------------------------------------------------------------


def nomination_check_in(*, actor, session: Session, card_number: str = "", card_token: str = "", nomination_id=None,
                        now=None) -> Nomination:
    """Staff check a confirmed member in on the day: the card's QR code scanned, its number typed, or a roster tick."""
    now = now or timezone.now()
    _require_staff(actor, session.organising_union, "change")
    if card_token:
        from members.services import card_token_check

        check = card_token_check(card_token)
        if not check.valid:
            message = (_("This QR code has expired; ask the member to refresh the card page.") if check.reason == "expired"
                       else _("This is not a valid membership card QR code."))
            raise DomainError(f"card_{check.reason}", message, field="card_token")
        card_number = check.member.card_number
    with transaction.atomic():
        session = _lock_session(session.pk)
        today = timezone.localdate(now)
        if not (session.starts_on <= today <= session.ends_on):
            raise DomainError("not_today", _("Check-in is only possible during the session."), status=409)
        if session.roster_closed_at:
            raise DomainError("roster_closed", _("The roster of this session is closed."), status=409)
        nominations = session.nominations.select_for_update(of=("self",)).select_related("member__user")
        if nomination_id is not None:
            nomination = nominations.filter(pk=nomination_id).first()
        else:
            nomination = nominations.filter(member__card_number=card_number.strip()).first()
        if nomination is None:
            raise DomainError("not_on_roster", _("This member is not on the roster of this session."),
                              status=404, field="card_number")
        if nomination.status == NominationStatus.ATTENDED:
            return nomination
        if nomination.status != NominationStatus.CONFIRMED:
            raise DomainError("not_confirmed", _("This member has not confirmed a place on this session."),
                              status=409, field="card_number")
        Session.objects.filter(pk=session.pk).update(attended_count=F("attended_count") + 1)
        nomination.status, nomination.checked_in_at, nomination.checked_in_by = NominationStatus.ATTENDED, now, actor
        nomination.save(update_fields=["status", "checked_in_at", "checked_in_by"])
        _audit(actor, "nomination.check_in", nomination, session, status=[NominationStatus.CONFIRMED, nomination.status])
        notification_send(user=nomination.member.user, event="convalescence.checked_in", message=_(
            "Welcome to %(session)s: you are checked in."
        ) % {"session": _session_label(session)})
    return nomination


def session_roster_close(*, actor, session: Session, now=None) -> dict:
    """After the first day: confirmed members who never checked in are no-shows; open answers lapse."""
    now = now or timezone.now()
    _require_staff(actor, session.organising_union, "change")
    with transaction.atomic():
        session = _lock_session(session.pk)
        if timezone.localdate(now) < session.starts_on:
            raise DomainError("not_started", _("The roster can be closed once the session has started."), status=409)
        if session.roster_closed_at:
            raise DomainError("roster_closed", _("The roster of this session is closed."), status=409)
        counts = {}
        for old, new in ((NominationStatus.CONFIRMED, NominationStatus.NO_SHOW),
                         (NominationStatus.APPROVED, NominationStatus.LAPSED),
                         (NominationStatus.WAITING, NominationStatus.LAPSED),
                         (NominationStatus.NOMINATED, NominationStatus.LAPSED)):
            changed = list(session.nominations.select_for_update(of=("self",)).select_related("member__user")
                           .filter(status=old))
            Nomination.objects.filter(pk__in=[n.pk for n in changed]).update(status=new)
            counts[f"{old}->{new}"] = len(changed)
            if new == NominationStatus.NO_SHOW:
                for nomination in changed:
                    notification_send(user=nomination.member.user, event="convalescence.no_show", message=_(
                        "You were not checked in on %(session)s and are recorded as absent. "
                        "Contact your union if this is wrong."
                    ) % {"session": _session_label(session)})
        session.roster_closed_at = now
        session.save(update_fields=["roster_closed_at"])
        _audit(actor, "session.roster_close", session, session, **counts)
    return counts


def rates_for(program_kind: str) -> list[rules.RateFacts]:
    return [
        rules.RateFacts(r.paying_level, r.amount_per_person_day, r.valid_from, r.valid_until)
        for r in SubsidyRate.objects.filter(program_kind=program_kind)
    ]


def session_settle(*, actor, session: Session, now=None) -> Settlement:
    """Fix the subsidy: attendees × days × the rates in force on the first day, per paying level."""
    now = now or timezone.now()
    _require_staff(actor, session.organising_union, "change")
    with transaction.atomic():
        session = _lock_session(session.pk)
        if not session.roster_closed_at:
            raise DomainError("roster_open", _("Close the roster before settling the session."), status=409)
        if Settlement.objects.filter(session=session).exists():
            raise DomainError("already_settled", _("This session is already settled."), status=409)
        in_force = rules.rates_in_force(rates_for(session.program.kind), session.starts_on)
        if not in_force:
            raise DomainError("no_rate", _("No subsidy rate is in force on the session's first day."), status=409)
        lines = rules.session_subsidy(session.attended_count, session.days, in_force)
        settlement = Settlement.objects.create(
            session=session, attendees=session.attended_count, days=session.days,
            total=rules.money(sum((line.amount for line in lines), start=rules.money(0))), settled_at=now,
            settled_by=actor,
        )
        SettlementLine.objects.bulk_create([
            SettlementLine(settlement=settlement, paying_level=line.paying_level, rate=line.rate, amount=line.amount)
            for line in lines
        ])
        _audit(actor, "session.settle", settlement, session, attendees=settlement.attendees, total=str(settlement.total),
               lines={line.paying_level: str(line.amount) for line in lines})
    return settlement


# --- Subsidy rates ----------------------------------------------------------------------------


def subsidy_rate_create(*, actor, program_kind: str, paying_level: str, amount_per_person_day, valid_from,
                        valid_until=None) -> SubsidyRate:
    """Only the city federation's superusers set rates; periods never overlap."""
    if not (actor and actor.is_superuser):
        raise DomainError("permission_denied", _("Only the city federation sets subsidy rates."), status=403)
    if valid_until is not None and valid_until < valid_from:
        raise DomainError("invalid", _("The period ends before it starts."), field="valid_until")
    existing = SubsidyRate.objects.filter(program_kind=program_kind, paying_level=paying_level)
    if any(rules.periods_overlap(valid_from, valid_until, r.valid_from, r.valid_until) for r in existing):
        raise DomainError("rate_overlap", _("Another rate for this kind and paying level is in force in this period."),
                          status=409, field="valid_from")
    try:
        with transaction.atomic():
            rate = SubsidyRate.objects.create(
                program_kind=program_kind, paying_level=paying_level, amount_per_person_day=rules.money(amount_per_person_day),
                valid_from=valid_from, valid_until=valid_until,
            )
            audit_log(actor=actor, action="convalescence.rate.create", obj=rate,
                      changes={"amount": str(rate.amount_per_person_day), "valid_from": valid_from.isoformat()})
    except IntegrityError as error:
        raise DomainError("rate_overlap", _("Another rate for this kind and paying level is in force in this period."),
                          status=409, field="valid_from") from error
    return rate
