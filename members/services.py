"""Writes about members: joining, verification, moves, attributes, consent and erasure.

Every service runs in one transaction, writes an audit row (never with personal data in
it) and tells the member through the notification outbox.
"""

import secrets
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from unionportal.core.errors import DomainError
from unionportal.core.models import ApiToken, Notification
from unionportal.core.services import audit_log, notification_send

from . import rules
from .models import (
    Consent, ConsentVersion, Member, MemberTransfer, Organization, PendingMember, PersonalDataAccess, User,
    WorkerCategory,
    id_number_hash, phone_hash,
)
from .scoping import is_in_scope, staff_assignment

ID_NUMBER_ERRORS = {
    "length": _("The ID number must have 18 characters."),
    "format": _("The ID number must be 17 digits followed by a digit or X."),
    "province": _("The ID number does not start with a known province code."),
    "birth_date": _("The birth date in the ID number is not a real date or lies in the future."),
    "check_digit": _("The check digit of the ID number is wrong; please check the number."),
}


def id_number_validate(raw: str, today: date) -> tuple[str, rules.IdNumberFacts]:
    """Normalise and validate; DomainError on the `id_number` field."""
    id_number = rules.normalize_id_number(raw)
    try:
        return id_number, rules.parse_id_number(id_number, today)
    except rules.IdNumberError as error:
        raise DomainError("invalid_id_number", ID_NUMBER_ERRORS[error.code], field="id_number") from None


def phone_validate(raw: str) -> str:
    phone = rules.normalize_phone(raw)
    if not rules.is_mainland_mobile(phone):
        raise DomainError(
            "invalid_phone", _("Enter an 11-digit mainland mobile number starting with 1."), field="phone",
        )
    return phone


def grassroots_union_validate(organization_id) -> Organization:
    organization = Organization.objects.filter(pk=organization_id, is_active=True).first() if str(
        organization_id).isdecimal() else None
    if organization is None:
        raise DomainError("unknown_union", _("This union does not exist."), field="organization")
    if not organization.is_grassroots:
        raise DomainError(
            "not_grassroots",
            _("Choose a grassroots union (enterprise, industry or joint union), not a federation."),
            field="organization",
        )
    return organization


def consent_current() -> ConsentVersion:
    version = ConsentVersion.objects.filter(published_at__lte=timezone.now()).order_by("-published_at").first()
    if version is None:
        raise DomainError("no_consent_text", _("Joining is closed: no consent text is published."), status=503)
    return version


def card_number_next() -> str:
    """A new card number from a database sequence: '3505' + 10 digits + Luhn check digit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('members_card_number_seq')")
        serial = cursor.fetchone()[0]
    body = f"3505{serial:010d}"
    return body + rules.card_number_check_character(body)


@dataclass(frozen=True)
class Application:
    name: str
    id_number: str
    phone: str
    password: str
    organization_id: int
    worker_category: str
    is_frontline: bool = False
    is_technical: bool = False
    consent: bool = False
    consent_version: str | None = None


def _constraint_of(error: IntegrityError) -> str:
    diag = getattr(getattr(error, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def member_register(application: Application, *, today: date | None = None) -> Member:
    """A worker applies to join: a user account, a pending membership and the consent.

    Validation first (each failure names its field), then one transaction; the unique
    keyed hashes decide races: the same ID number twice → 409 already_registered.
    """
    today = today or timezone.localdate()
    name = (application.name or "").strip()
    if not name or len(name) > 64:
        raise DomainError("invalid_name", _("Enter your real name as on your ID card."), field="name")
    id_number, facts = id_number_validate(application.id_number, today)
    phone = phone_validate(application.phone)
    organization = grassroots_union_validate(application.organization_id)
    if application.worker_category not in WorkerCategory.values:
        raise DomainError("invalid_worker_category", _("Choose a worker category from the list."), field="worker_category")
    if application.consent is not True:
        raise DomainError(
            "consent_required", _("You must agree to the processing of your sensitive personal information to join."),
            field="consent",
        )
    version = consent_current()
    if application.consent_version and application.consent_version != version.version:
        raise DomainError(
            "consent_outdated", _("The consent text has changed; please read the current version and agree again."),
            field="consent",
        )
    try:
        password_validation.validate_password(application.password, User(name=name))
    except ValidationError as error:
        raise DomainError("invalid_password", " ".join(error.messages), field="password") from None
    if Member.objects.filter(id_number_hash=id_number_hash(id_number)).exists():
        raise _already_registered()
    if User.objects.filter(phone_hash=phone_hash(phone)).exists():
        raise _phone_taken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(phone, application.password, name=name)
            member = Member(
                user=user, organization=organization, name=name, birth_date=facts.birth_date, sex=facts.sex,
                card_number=card_number_next(), status=Member.Status.PENDING,
                worker_category=application.worker_category, is_frontline=bool(application.is_frontline),
                is_technical=bool(application.is_technical),
            )
            member.set_id_number(id_number)
            member.save()
            Consent.objects.create(user=user, version=version)
            audit_log(
                actor=user, action="member_registered", obj=member, organization_path=organization.path,
                changes={"status": [None, member.status], "organization": [None, organization.pk],
                         "consent_version": version.version},
            )
            notification_send(
                user=user, event="member_registered",
                message=_("Your application to join %(union)s was received; the union will verify it soon.")
                % {"union": organization.name},
            )
    except IntegrityError as error:
        if _constraint_of(error) == "members_user_phone_hash_key" or "phone_hash" in str(error):
            raise _phone_taken() from None
        raise _already_registered() from None
    return member


def _already_registered():
    return DomainError(
        "already_registered", _("This ID number already has a membership."), status=409, field="id_number",
    )


def _phone_taken():
    return DomainError(
        "phone_taken", _("This mobile number already has an account; log in instead."), status=409, field="phone",
    )


def _require_staff_scope(actor, member: Member, action: str = "change") -> None:
    """The actor is staff whose tree holds the member and whose role allows `action`."""
    from .admin_scoping import role_allows

    if not is_in_scope(actor, member.organization):
        raise DomainError("not_found", _("Not found."), status=404)
    if not role_allows(actor, action):
        raise DomainError("permission_denied", _("Your role does not allow this."), status=403)


def _locked(member: Member) -> Member:
    return Member.objects.select_for_update().select_related("organization", "user").get(pk=member.pk)


def member_verify(*, actor, member: Member) -> Member:
    """pending → active, recording who verified and when."""
    with transaction.atomic():
        member = _locked(member)
        _require_staff_scope(actor, member)
        if member.status != Member.Status.PENDING:
            raise DomainError("not_pending", _("Only a pending application can be verified."), status=409)
        member.status = Member.Status.ACTIVE
        member.verified_at = timezone.now()
        member.verified_by = actor
        member.rejection_reason = ""
        member.save(update_fields=["status", "verified_at", "verified_by", "rejection_reason"])
        audit_log(actor=actor, action="member_verified", obj=member, organization_path=member.organization.path,
                  changes={"status": [Member.Status.PENDING, Member.Status.ACTIVE]})
        notification_send(
            user=member.user, event="member_verified",
            message=_("Welcome! Your membership of %(union)s is verified. Card number: %(card)s.")
            % {"union": member.organization.name, "card": member.card_number},
        )
    return member


def member_reject(*, actor, member: Member, reason: str) -> Member:
    """pending → rejected with a reason the applicant sees."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("Give a reason for the rejection."), field="reason")
    with transaction.atomic():
        member = _locked(member)
        _require_staff_scope(actor, member)
        if member.status != Member.Status.PENDING:
            raise DomainError("not_pending", _("Only a pending application can be rejected."), status=409)
        member.status = Member.Status.REJECTED
        member.rejection_reason = reason[:255]
        member.save(update_fields=["status", "rejection_reason"])
        audit_log(actor=actor, action="member_rejected", obj=member, organization_path=member.organization.path,
                  changes={"status": [Member.Status.PENDING, Member.Status.REJECTED], "reason": member.rejection_reason})
        notification_send(
            user=member.user, event="member_rejected",
            message=_("Your application to join %(union)s was not accepted: %(reason)s")
            % {"union": member.organization.name, "reason": member.rejection_reason},
        )
    return member


def member_transfer(*, actor, member: Member, to_organization: Organization, reason: str = "") -> MemberTransfer:
    """Move a member to another grassroots union, keeping the history.

    Staff whose tree holds both unions move an active member as active; a move into a
    union outside the actor's tree makes the membership pending there, for that union's
    staff to verify.
    """
    with transaction.atomic():
        member = _locked(member)
        _require_staff_scope(actor, member)
        to_organization = Organization.objects.get(pk=to_organization.pk)
        if not (to_organization.is_grassroots and to_organization.is_active):
            raise DomainError("not_grassroots", _("Members can only move to an active grassroots union."),
                              field="organization")
        if to_organization.pk == member.organization_id:
            raise DomainError("same_union", _("The member already belongs to this union."), field="organization")
        if member.status in (Member.Status.LEFT, Member.Status.REJECTED):
            raise DomainError("not_member", _("Only a pending or active membership can move."), status=409)
        source = member.organization
        old_status = member.status
        if not is_in_scope(actor, to_organization):
            member.status = Member.Status.PENDING
            member.verified_at = None
            member.verified_by = None
        member.organization = to_organization
        member.save(update_fields=["organization", "status", "verified_at", "verified_by"])
        transfer = MemberTransfer.objects.create(
            member=member, from_organization=source, to_organization=to_organization, reason=(reason or "")[:255],
            transferred_by=actor,
        )
        audit_log(actor=actor, action="member_transferred", obj=member, organization_path=to_organization.path,
                  changes={"organization": [source.pk, to_organization.pk], "status": [old_status, member.status]})
        notification_send(
            user=member.user, event="member_transferred",
            message=_("Your membership moved from %(source)s to %(target)s.")
            % {"source": source.name, "target": to_organization.name},
        )
    return transfer


def member_leave(*, actor, member: Member, reason: str = "") -> Member:
    """End a membership (by staff, or by the member themself). The record stays."""
    with transaction.atomic():
        member = _locked(member)
        if actor.pk != member.user_id:
            _require_staff_scope(actor, member)
        if member.status == Member.Status.LEFT:
            return member
        old_status = member.status
        member.status = Member.Status.LEFT
        member.left_at = timezone.now()
        member.save(update_fields=["status", "left_at"])
        audit_log(actor=actor, action="member_left", obj=member, organization_path=member.organization.path,
                  changes={"status": [old_status, Member.Status.LEFT], "reason": (reason or "")[:255]})
        notification_send(
            user=member.user, event="member_left",
            message=_("Your membership of %(union)s has ended.") % {"union": member.organization.name},
        )
    return member


# Attributes staff set after checking papers (honours, hardship files, kind of work).
STAFF_ATTRIBUTES = ("model_worker_level", "has_hardship_file", "is_frontline", "is_technical", "worker_category")


def member_set_attributes(*, actor, member: Member, **values) -> Member:
    unknown = set(values) - set(STAFF_ATTRIBUTES)
    if unknown:
        raise DomainError("invalid_attribute", _("These attributes cannot be set: %(names)s")
                          % {"names": ", ".join(sorted(unknown))})
    if "model_worker_level" in values and values["model_worker_level"] not in Member.HonourLevel.values:
        raise DomainError("invalid_honour", _("Choose an honour level from the list."), field="model_worker_level")
    if "worker_category" in values and values["worker_category"] not in WorkerCategory.values:
        raise DomainError("invalid_worker_category", _("Choose a worker category from the list."),
                          field="worker_category")
    with transaction.atomic():
        member = _locked(member)
        _require_staff_scope(actor, member)
        changes = {name: [getattr(member, name), value] for name, value in values.items()
                   if getattr(member, name) != value}
        if not changes:
            return member
        for name, (_old, new) in changes.items():
            setattr(member, name, new)
        member.save(update_fields=list(changes))
        audit_log(actor=actor, action="member_attributes_set", obj=member,
                  organization_path=member.organization.path, changes=changes)
        notification_send(
            user=member.user, event="member_attributes_set",
            message=_("The union updated your member record (%(fields)s).")
            % {"fields": "、".join(str(Member._meta.get_field(name).verbose_name) for name in changes)},
        )
    return member


def member_phone_change(*, user: User, password: str, new_phone: str) -> User:
    """The member changes their login phone after re-entering the password."""
    if not user.check_password(password or ""):
        raise DomainError("wrong_password", _("The password is wrong."), field="password")
    phone = phone_validate(new_phone)
    if phone_hash(phone) == user.phone_hash:
        raise DomainError("same_phone", _("This is already your mobile number."), field="phone")
    if User.objects.filter(phone_hash=phone_hash(phone)).exists():
        raise _phone_taken()
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            user.set_phone(phone)
            user.save(update_fields=["phone", "phone_hash"])
            member = getattr(user, "member", None)
            audit_log(actor=user, action="phone_changed", obj=user,
                      organization_path=member.organization.path if member else "", changes={"phone": "changed"})
            notification_send(user=user, event="phone_changed", message=_("Your login mobile number was changed."))
    except IntegrityError:
        raise _phone_taken() from None
    return user


def member_personal_data_reveal(*, actor, member: Member, field: str) -> str:
    """The full ID or phone number, for staff allowed to see it; every reveal is logged."""
    assignment = staff_assignment(actor)
    if not is_in_scope(actor, member.organization):
        raise DomainError("not_found", _("Not found."), status=404)
    if assignment is None or not assignment.can_reveal_personal_data:
        raise DomainError("permission_denied", _("Your role may not see full personal data."), status=403)
    if field not in PersonalDataAccess.Field.values:
        raise DomainError("invalid_field", _("Unknown field."), field="field")
    PersonalDataAccess.objects.create(
        staff=actor, member=member, field=field, organization_path=member.organization.path,
    )
    return member.id_number if field == PersonalDataAccess.Field.ID_NUMBER else member.user.phone


# Other apps that keep personal files or rows about a member register a callable here
# (`member_erasure_handlers.append(fn)`, fn(member) inside the erasure transaction).
member_erasure_handlers = []


def member_erase(*, user: User, password: str, reason: str = "") -> Member:
    """The member leaves and has their personal data erased.

    The person is anonymised in place (rows other records point to stay, emptied): name,
    ID and phone are replaced, the birth date kept to its year, notifications and tokens
    deleted, consents withdrawn. One audit row records that an erasure happened.
    """
    if not user.check_password(password or ""):
        raise DomainError("wrong_password", _("The password is wrong."), field="password")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        member = Member.objects.select_for_update().select_related("organization").filter(user=user).first()
        if member is None:
            raise DomainError("not_member", _("You have no membership."), status=404)
        now = timezone.now()
        marker = f"erased-{member.pk}-{secrets.token_hex(8)}"
        old_status = member.status
        member.status = Member.Status.LEFT
        member.left_at = member.left_at or now
        member.erased_at = now
        member.name = str(_("Erased member"))
        member.id_number = ""
        member.id_number_hash = marker
        member.birth_date = date(member.birth_date.year, 1, 1)
        member.rejection_reason = ""
        member.save()
        user.name = ""
        user.phone = ""
        user.phone_hash = marker
        user.is_active = False
        user.set_unusable_password()
        user.save()
        Notification.objects.filter(user=user).delete()
        ApiToken.objects.filter(user=user).delete()
        Consent.objects.filter(user=user, withdrawn_at__isnull=True).update(withdrawn_at=now)
        _audit_history_anonymise(member)
        for handler in member_erasure_handlers:
            handler(member)
        audit_log(actor=None, action="member_erased", obj=member, organization_path=member.organization.path,
                  changes={"status": [old_status, Member.Status.LEFT], "reason": (reason or "")[:255]})
    return member


def _audit_history_anonymise(member: Member) -> None:
    """History may name the person: free-text reasons in audit rows and transfers, and the
    back office's own change history (which stores each object's name). Empty them."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from unionportal.core.models import AuditLog

    types = [ContentType.objects.get_for_model(model, for_concrete_model=False) for model in (Member, PendingMember)]
    rows = AuditLog.objects.filter(content_type__in=types, object_id=str(member.pk))
    for row in rows:
        if "reason" in row.changes:
            row.changes = {key: value for key, value in row.changes.items() if key != "reason"}
            row.save(update_fields=["changes"])
    MemberTransfer.objects.filter(member=member).update(reason="")
    LogEntry.objects.filter(content_type__in=types, object_id=str(member.pk)).update(object_repr=str(member))


# The card's QR code: a signed, short-lived token naming the member.
CARD_TOKEN_SALT = "members.card"
CARD_TOKEN_MAX_AGE = 300  # seconds: a screenshot is useless after a few minutes


def card_token_issue(member: Member) -> str:
    from django.core.signing import TimestampSigner

    return TimestampSigner(salt=CARD_TOKEN_SALT).sign(f"{member.pk}:{member.card_number}")


@dataclass(frozen=True)
class CardCheck:
    valid: bool
    reason: str  # "", "expired", "invalid"
    member: Member | None = None


def card_token_check(token: str) -> CardCheck:
    from django.core.signing import BadSignature, SignatureExpired, TimestampSigner

    try:
        value = TimestampSigner(salt=CARD_TOKEN_SALT).unsign(token or "", max_age=CARD_TOKEN_MAX_AGE)
    except SignatureExpired:
        return CardCheck(False, "expired")
    except BadSignature:
        return CardCheck(False, "invalid")
    member_id, _sep, card_number = value.partition(":")
    member = Member.objects.select_related("organization").filter(
        pk=member_id, card_number=card_number, erased_at__isnull=True,
    ).first() if member_id.isdecimal() else None
    if member is None:
        return CardCheck(False, "invalid")
    return CardCheck(True, "", member)


def member_export_own(member: Member) -> dict:
    """Everything the portal holds about the member, for the member (PIPL right of access)."""
    user = member.user
    return {
        "name": member.name,
        "id_number": member.id_number,
        "phone": user.phone,
        "birth_date": member.birth_date.isoformat(),
        "sex": member.sex,
        "organization": member.organization.full_name,
        "card_number": member.card_number,
        "status": member.status,
        "worker_category": member.worker_category,
        "is_frontline": member.is_frontline,
        "is_technical": member.is_technical,
        "model_worker_level": member.model_worker_level,
        "has_hardship_file": member.has_hardship_file,
        "applied_at": member.joined_at.isoformat(),
        "verified_at": member.verified_at.isoformat() if member.verified_at else None,
        "rejection_reason": member.rejection_reason,
        "transfers": [
            {"from": transfer.from_organization.name, "to": transfer.to_organization.name,
             "at": transfer.transferred_at.isoformat(), "reason": transfer.reason}
            for transfer in member.transfers.select_related("from_organization", "to_organization")
        ],
        "consents": [
            {"version": consent.version.version, "given_at": consent.given_at.isoformat(),
             "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None}
            for consent in user.consents.select_related("version")
        ],
        "notifications": [
            {"event": note.event, "message": note.body, "at": note.created_at.isoformat()}
            for note in user.notifications.order_by("-created_at")[:200]
        ],
    }
