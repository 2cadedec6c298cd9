"""Coupon writes: campaigns, batches, claims, the lottery, redemption, expiry and voiding.

Claiming (the rush) is one message to PostgreSQL that takes locks late and in a fixed order:
first the member's own claim counters (campaign, then batch; rows nobody else touches), then
the batch row, through `UPDATE … SET claimed = claimed + 1`, which the constraint
`claimed <= quantity` refuses once the batch is gone. The batch row is therefore locked only
from that statement to the commit, inside the database. Redis only remembers "sold out" to
answer the crowd quickly after the last coupon is gone; the database stays the only truth.
"""

import hashlib
import json
import logging
from contextlib import nullcontext

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psycopg.errors import UniqueViolation

from members.models import Member
from unionportal.core.compiled import CompiledQuery
from unionportal.core.errors import DomainError
from unionportal.core.held import held_or_fetched, hold
from unionportal.core.models import AuditLog
from unionportal.core.money import money_round
from unionportal.core.prepared import client_binding_cursor
from unionportal.core.services import audit_log, notification_send

from . import coupon_rules as rules
from .models import (
    Campaign, Coupon, CouponBatch, CouponClaimCount, LotteryApplication, LotteryDraw, Merchant, Redemption,
)

logger = logging.getLogger(__name__)

SOLD_OUT_CACHE_SECONDS = 600
# A batch's "sold out" is also held in each process this long: the crowd after the last coupon
# is then answered without a Redis round trip. (Nothing clears the flag before it expires.)
SOLD_OUT_HELD_SECONDS = 5
# That Redis has no flag for a batch is held this long: a claim while coupons remain then costs
# no Redis round trip either. For that second after the last coupon, a process's claimers go on
# to the database, which refuses them, and the first refusal holds the flag in the process.
SOLD_OUT_UNKNOWN_HELD_SECONDS = 1
CODE_ATTEMPTS = 5


# --- Staff: merchants, campaigns, batches ------------------------------------------------

def merchant_create(*, actor, organization, name: str, accepted_kinds: list[str], is_vending_machine: bool) -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.create(
            organization=organization, name=name, accepted_kinds=sorted(set(accepted_kinds)),
            is_vending_machine=is_vending_machine,
        )
        audit_log(
            actor=actor, action="merchant_created", obj=merchant, organization_path=organization.path,
            changes={"name": name, "accepted_kinds": merchant.accepted_kinds, "is_vending_machine": is_vending_machine},
        )
    return merchant


def campaign_create(
    *, actor, organization, title: str, budget, claim_starts_at, claim_ends_at, use_ends_at,
    per_member_limit: int = 1, worker_categories=(), frontline_only: bool = False, eligible_organization=None,
    description: str = "",
) -> Campaign:
    if claim_ends_at <= claim_starts_at:
        raise DomainError("invalid_window", _("Claiming must close after it opens."), field="claim_ends_at")
    if use_ends_at < claim_ends_at:
        raise DomainError("invalid_window", _("Coupons must stay valid at least until claiming closes."), field="use_ends_at")
    if eligible_organization is not None and not eligible_organization.path.startswith(organization.path):
        raise DomainError(
            "outside_tree", _("The eligible part of the tree must lie under the campaign's organisation."),
            field="eligible_organization",
        )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            organization=organization, title=title, description=description, budget=money_round(budget),
            claim_starts_at=claim_starts_at, claim_ends_at=claim_ends_at, use_ends_at=use_ends_at,
            per_member_limit=per_member_limit, worker_categories=list(worker_categories),
            frontline_only=frontline_only, eligible_organization=eligible_organization, created_by=actor,
        )
        audit_log(
            actor=actor, action="coupon_campaign_created", obj=campaign, organization_path=organization.path,
            changes={"title": title, "budget": str(campaign.budget)},
        )
    return campaign


def batch_create(
    *, actor, campaign: Campaign, kind: str, face_value, quantity: int, per_member_limit: int = 1,
    mode: str = CouponBatch.Mode.FIRST_COME, merchants=(), title: str = "",
    claim_starts_at=None, claim_ends_at=None, use_ends_at=None,
) -> CouponBatch:
    """Add a batch; the campaign row is locked so two batches cannot both squeeze under the budget."""
    face_value = money_round(face_value)
    merchants = list(merchants)
    for merchant in merchants:
        if kind not in merchant.accepted_kinds:
            raise DomainError(
                "kind_not_accepted",
                _("%(merchant)s does not accept this coupon kind.") % {"merchant": merchant.name}, field="merchants",
            )
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        existing = [rules.batch_value(b.face_value, b.quantity) for b in campaign.batches.all()]
        if not rules.budget_allows(campaign.budget, existing, rules.batch_value(face_value, quantity)):
            raise DomainError(
                "over_budget", _("The batches together would exceed the campaign's budget of %(budget)s CNY.")
                % {"budget": campaign.budget}, field="quantity",
            )
        starts = claim_starts_at or campaign.claim_starts_at
        ends = claim_ends_at or campaign.claim_ends_at
        if ends <= starts:
            raise DomainError("invalid_window", _("Claiming must close after it opens."), field="claim_ends_at")
        if (use_ends_at or campaign.use_ends_at) < ends:
            raise DomainError(
                "invalid_window", _("Coupons must stay valid at least until claiming closes."), field="use_ends_at",
            )
        batch = CouponBatch.objects.create(
            campaign=campaign, kind=kind, title=title, face_value=face_value, quantity=quantity,
            per_member_limit=per_member_limit, mode=mode, claim_starts_at=claim_starts_at,
            claim_ends_at=claim_ends_at, use_ends_at=use_ends_at,
            issues_pickup_codes=any(m.is_vending_machine for m in merchants),
        )
        batch.merchants.set(merchants)
        audit_log(
            actor=actor, action="coupon_batch_created", obj=batch, organization_path=campaign.organization.path,
            changes={"kind": kind, "face_value": str(face_value), "quantity": quantity, "mode": mode},
        )
    return batch


# --- Members: claiming ---------------------------------------------------------------------

def member_facts(member: Member | None) -> rules.MemberFacts | None:
    if member is None:
        return None
    return rules.MemberFacts(
        status=member.status, organization_path=member.organization.path,
        worker_category=member.worker_category, is_frontline=member.is_frontline,
    )


def campaign_eligibility_terms(campaign: Campaign) -> rules.CampaignEligibility:
    tree = campaign.eligible_organization or campaign.organization
    return rules.CampaignEligibility(
        tree_path=tree.path, worker_categories=tuple(campaign.worker_categories),
        frontline_only=campaign.frontline_only,
    )


def _sold_out_key(batch_id: int) -> str:
    return f"coupon-batch:{batch_id}:sold-out"


def _sold_out_facts(batch: CouponBatch) -> dict:
    """What the sold-out flag remembers, so the crowd after the last coupon is answered with
    the same checks (tree, eligibility, window) and no database query at all."""
    terms = campaign_eligibility_terms(batch.campaign)
    return {
        "mode": batch.mode, "campaign_path": batch.campaign.organization.path, "tree_path": terms.tree_path,
        "worker_categories": list(terms.worker_categories), "frontline_only": terms.frontline_only,
        "starts": batch.effective_claim_starts_at, "ends": batch.effective_claim_ends_at,
    }


def coupon_claim_sold_out_check(*, member: Member, batch_id: int, now=None) -> None:
    """Answer a claim on a batch Redis knows is sold out without touching the database.

    Raises the DomainError the full claim would raise (404 outside the member's tree, not
    eligible, not open, sold out). Returns when Redis does not know (or is down): the caller
    then loads the batch and claims as usual, the database deciding.
    """
    key = _sold_out_key(batch_id)
    facts = held_or_fetched(
        key, lambda: _cache_get(key), SOLD_OUT_HELD_SECONDS, nothing_seconds=SOLD_OUT_UNKNOWN_HELD_SECONDS,
    )
    if not isinstance(facts, dict) or facts.get("mode") != CouponBatch.Mode.FIRST_COME:
        return
    if not member.organization.path.startswith(facts["campaign_path"]):
        raise DomainError("not_found", _("Not found."), status=404)
    terms = rules.CampaignEligibility(
        tree_path=facts["tree_path"], worker_categories=tuple(facts["worker_categories"]),
        frontline_only=facts["frontline_only"],
    )
    _claim_checks(member=member, terms=terms, now=now or timezone.now(), starts=facts["starts"], ends=facts["ends"])
    raise _sold_out()


def _cache_get(key):
    try:
        return cache.get(key)
    except Exception:  # Redis is only a shortcut: without it the database answers
        logger.warning("cache unavailable for %s", key)
        return None


def _cache_set(key, value, timeout):
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache unavailable for %s", key)


def _mark_sold_out(batch: CouponBatch) -> None:
    """Flag the batch sold out in Redis for every process, and at once in this one."""
    key, facts = _sold_out_key(batch.pk), _sold_out_facts(batch)
    _cache_set(key, facts, SOLD_OUT_CACHE_SECONDS)
    hold(key, facts, SOLD_OUT_HELD_SECONDS)


def _sold_out() -> DomainError:
    return DomainError("sold_out", _("Sorry, all coupons of this batch have been claimed."), status=409)


def _already_claimed() -> DomainError:
    return DomainError("already_claimed", _("You have already claimed as many coupons as allowed."), status=409)


# One claim, sent as one message of four statements that PostgreSQL runs as one transaction
# (`connection.autocommit`: a refusal undoes them all). The database refuses through its
# constraints, named in the error: `claim_count_within_limit` (the member's campaign or batch
# limit), `batch_not_oversold`, or a coupon code taken. The batch row is locked from its
# UPDATE to the commit only: no round trip to Python in between, however busy the process.
_ISSUE_SQL = """
    INSERT INTO benefits_couponclaimcount (campaign_id, batch_id, member_id, claimed, claim_limit)
    VALUES (%(campaign_id)s, NULL, %(member_id)s, 1, %(campaign_limit)s)
    ON CONFLICT (campaign_id, member_id) WHERE batch_id IS NULL
    DO UPDATE SET claimed = benefits_couponclaimcount.claimed + 1, claim_limit = EXCLUDED.claim_limit;
    INSERT INTO benefits_couponclaimcount (campaign_id, batch_id, member_id, claimed, claim_limit)
    VALUES (%(campaign_id)s, %(batch_id)s, %(member_id)s, 1, %(batch_limit)s)
    ON CONFLICT (batch_id, member_id) WHERE batch_id IS NOT NULL
    DO UPDATE SET claimed = benefits_couponclaimcount.claimed + 1, claim_limit = EXCLUDED.claim_limit;
    INSERT INTO benefits_coupon (batch_id, member_id, code, pickup_code, status, issued_at, expires_at, void_reason)
    VALUES (%(batch_id)s, %(member_id)s, %(code)s, %(pickup_code)s, %(status)s, %(issued_at)s, %(expires_at)s, '')
    RETURNING id;
    UPDATE benefits_couponbatch SET claimed = claimed + 1 WHERE id = %(batch_id)s
"""
_OVER_MEMBER_LIMIT = "claim_count_within_limit"
_OVERSOLD = "batch_not_oversold"


def _issue_once(coupon: Coupon, campaign_limit: int, batch_limit: int) -> int:
    """Send one claim (see `_ISSUE_SQL`); the new coupon's id. Raises IntegrityError on a refusal."""
    values = {
        "campaign_id": coupon.batch.campaign_id, "batch_id": coupon.batch_id, "member_id": coupon.member_id,
        "campaign_limit": campaign_limit, "batch_limit": batch_limit, "code": coupon.code,
        "pickup_code": coupon.pickup_code, "status": coupon.status, "issued_at": coupon.issued_at,
        "expires_at": coupon.expires_at,
    }
    with client_binding_cursor() as cursor:
        cursor.execute(_ISSUE_SQL, values)
        cursor.nextset()  # the results of the counters' statements, then the coupon's
        cursor.nextset()
        return cursor.fetchone()[0]


def _refused_by(error: IntegrityError) -> str | None:
    diagnostics = getattr(error.__cause__, "diag", None)
    return diagnostics.constraint_name if diagnostics is not None else None


def _coupon_issue(*, batch: CouponBatch, member: Member, now) -> Coupon:
    """Give the member one coupon of the batch; raises DomainError. Inside a transaction (the
    lottery draw) the claim is a savepoint of it; otherwise it is a transaction of its own."""
    campaign = batch.campaign
    for _attempt in range(CODE_ATTEMPTS):
        coupon = Coupon(
            batch=batch, member=member, code=rules.new_coupon_code(),
            pickup_code=rules.new_pickup_code() if batch.issues_pickup_codes else "",
            issued_at=now, expires_at=batch.effective_use_ends_at,
        )
        try:
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                coupon.pk = _issue_once(coupon, campaign.per_member_limit, batch.per_member_limit)
        except IntegrityError as error:
            refused_by = _refused_by(error)
            if refused_by == _OVER_MEMBER_LIMIT:
                raise _already_claimed() from None
            if refused_by == _OVERSOLD:
                _mark_sold_out(batch)
                raise _sold_out() from None
            if not isinstance(error.__cause__, UniqueViolation):
                raise
            # A code or a live pickup code (1 in 10^8 per live coupon) collided: draw again.
        else:
            coupon._state.adding, coupon._state.db = False, connection.alias
            return coupon
    raise DomainError("busy", _("Please try again."), status=503)


def _insert_unless_conflict(instance, columns, conflict: str = "") -> bool:
    """INSERT … ON CONFLICT {conflict} DO NOTHING RETURNING id. True with `instance` saved; False
    when a unique constraint already holds such a row (a racing writer's is waited for first).
    One round trip, where catching the IntegrityError in a nested savepoint takes three."""
    model = type(instance)
    fields = [model._meta.get_field(column.removesuffix("_id")) for column in columns]
    values = [field.get_db_prep_save(getattr(instance, field.attname), connection) for field in fields]
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(values))}) "
           f"ON CONFLICT {conflict} DO NOTHING RETURNING id")
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding, instance._state.db = False, connection.alias
    return True


def _claim_preconditions(*, batch: CouponBatch, member: Member | None, now) -> None:
    _claim_checks(member=member, terms=campaign_eligibility_terms(batch.campaign), now=now,
                  starts=batch.effective_claim_starts_at, ends=batch.effective_claim_ends_at)


def _claim_checks(*, member: Member | None, terms: rules.CampaignEligibility, now, starts, ends) -> None:
    window = rules.claim_window_state(now, starts, ends)
    eligibility = rules.coupon_eligibility(member_facts(member), terms)
    if not eligibility.eligible:
        raise DomainError("not_eligible", eligibility.reason, status=403)
    if window == "upcoming":
        raise DomainError("not_open", _("Claiming has not opened yet."))
    if window == "closed":
        raise DomainError("not_open", _("Claiming has closed."))


def coupon_claim(*, member: Member | None, batch: CouponBatch, now=None, sold_out_flag_checked: bool = False):
    """Claim one coupon of a first-come batch (→ Coupon) or apply to a lottery (→ LotteryApplication).
    `sold_out_flag_checked`: the caller has just asked Redis (`coupon_claim_sold_out_check`)."""
    now = now or timezone.now()
    _claim_preconditions(batch=batch, member=member, now=now)
    if batch.mode == CouponBatch.Mode.LOTTERY:
        return lottery_apply(member=member, batch=batch)
    # A friendly answer that spares the database the crowd; the claim's own statement rechecks it.
    # (A member over their limit is found by the claim's first statement.)
    if not sold_out_flag_checked and _cache_get(_sold_out_key(batch.pk)):
        raise _sold_out()
    if batch.claimed >= batch.quantity:
        _mark_sold_out(batch)
        raise _sold_out()
    return _coupon_issue(batch=batch, member=member, now=now)


def lottery_apply(*, member: Member, batch: CouponBatch) -> LotteryApplication:
    """Apply once per lottery batch; applying again changes nothing (the phone may retry)."""
    held = CouponClaimCount.objects.filter(member=member, campaign_id=batch.campaign_id, batch=None).first()
    if held is not None and held.claimed >= batch.campaign.per_member_limit:
        raise _already_claimed()
    application, _created = LotteryApplication.objects.get_or_create(batch=batch, member=member)
    return application


# --- The lottery ------------------------------------------------------------------------------

def lottery_draw(*, batch_id: int, now=None, seed: str | None = None) -> LotteryDraw:
    """Draw the winners of a closed lottery batch. Idempotent: a drawn batch returns its draw.

    The order is `rules.lottery_order(application ids, seed)`; walking it, each applicant who
    can still receive a coupon (eligible, within the campaign limit) wins until the batch is
    full. Each application keeps its position, so the draw can be re-run and checked.
    """
    now = now or timezone.now()
    with transaction.atomic():
        batch = (
            CouponBatch.objects.select_for_update(of=("self",))
            .select_related("campaign__organization", "campaign__eligible_organization").get(pk=batch_id)
        )
        existing = LotteryDraw.objects.filter(batch=batch).first()
        if existing is not None:
            return existing
        if batch.mode != CouponBatch.Mode.LOTTERY:
            raise DomainError("not_lottery", _("This batch is not allocated by lottery."))
        if now < batch.effective_claim_ends_at:
            raise DomainError("not_closed", _("Applications are still open."))
        seed = seed or rules.new_lottery_seed()
        applications = {
            a.pk: a for a in LotteryApplication.objects.filter(batch=batch).select_related(
                "member__user", "member__organization",
            )
        }
        terms = campaign_eligibility_terms(batch.campaign)
        winners = 0
        for position, application_id in enumerate(rules.lottery_order(list(applications), seed), start=1):
            application = applications[application_id]
            application.draw_position = position
            application.status = LotteryApplication.Status.LOST
            eligible = rules.coupon_eligibility(member_facts(application.member), terms).eligible
            if winners < batch.remaining and eligible:
                try:
                    with transaction.atomic():
                        application.coupon = _coupon_issue(batch=batch, member=application.member, now=now)
                except DomainError:
                    pass  # the member reached the campaign limit meanwhile: the next in line wins
                else:
                    application.status = LotteryApplication.Status.WON
                    winners += 1
            application.save(update_fields=["draw_position", "status", "coupon"])
            _lottery_notify(application, batch)
        draw = LotteryDraw.objects.create(batch=batch, seed=seed, applicants=len(applications), winners=winners)
        audit_log(
            actor=None, action="coupon_lottery_drawn", obj=batch, organization_path=batch.campaign.organization.path,
            changes={"seed": seed, "applicants": len(applications), "winners": winners},
        )
    return draw


def _lottery_notify(application: LotteryApplication, batch: CouponBatch) -> None:
    names = {"campaign": batch.campaign.title, "kind": batch.get_kind_display()}
    if application.status == LotteryApplication.Status.WON:
        message = _("Congratulations! You won a %(kind)s coupon in %(campaign)s. Find it under My coupons.") % names
    else:
        message = _("The %(kind)s coupons of %(campaign)s have been drawn. Sorry, you were not drawn this time.") % names
    notification_send(user=application.member.user, event=f"coupon_lottery_{application.status}", message=message)


def lotteries_due(now) -> list[int]:
    """Lottery batches whose application window has closed and that are not drawn yet."""
    batches = CouponBatch.objects.filter(mode=CouponBatch.Mode.LOTTERY, draw__isnull=True).select_related("campaign")
    return [b.pk for b in batches.filter(campaign__claim_starts_at__lte=now) if b.effective_claim_ends_at <= now]


# --- Partners: redemption ---------------------------------------------------------------------

def _answer(status: int, code: str, message) -> tuple[int, dict]:
    return status, {"detail": str(message), "code": code}


def _coupons_to_redeem(merchant_id: int):
    """Coupons locked for redeeming, with their batch, campaign and union, and whether their batch
    names merchants and this one among them: all in one query."""
    listing = CouponBatch.merchants.through.objects.filter(couponbatch_id=OuterRef("batch_id"))
    return (
        Coupon.objects.select_for_update(of=("self",)).select_related("batch__campaign__organization")
        .annotate(merchants_listed=Exists(listing), merchant_listed=Exists(listing.filter(merchant_id=merchant_id)))
    )


# Every redemption by a long code runs it: compiled once (core.compiled).
_COUPON_BY_CODE = CompiledQuery(
    lambda merchant_id, code: _coupons_to_redeem(merchant_id).filter(code=code),
    binary_rows=True, merchant_id=-20261123, code="coupon-code-placeholder",
)


def _find_coupon(merchant: Merchant, code: str) -> Coupon | None:
    """Lock and return the coupon a long code or (for vending machines) a pickup code names."""
    if rules.is_pickup_code(code):
        if not merchant.is_vending_machine:
            return None
        coupons = _coupons_to_redeem(merchant.pk)
        # A live coupon first; else the last one that had the code, to answer "already used".
        return (
            coupons.filter(pickup_code=code, status=Coupon.Status.ISSUED).first()
            or coupons.filter(pickup_code=code).order_by("-issued_at").first()
        )
    return _COUPON_BY_CODE.first(connection.alias, merchant_id=merchant.pk, code=code)


def _redeem_outcome(*, merchant: Merchant, code: str, now) -> tuple[int, dict, Coupon | None]:
    if not rules.is_pickup_code(code) and not rules.code_is_well_formed(code):
        return (*_answer(400, "invalid_code", _("This is not a valid coupon code: please check it.")), None)
    coupon = _find_coupon(merchant, code)
    if coupon is None:
        return (*_answer(404, "unknown_code", _("No coupon has this code.")), None)
    batch = coupon.batch
    if batch.kind not in merchant.accepted_kinds:
        return (*_answer(403, "kind_not_accepted", _("This merchant does not accept this kind of coupon.")), coupon)
    if coupon.merchants_listed and not coupon.merchant_listed:
        return (*_answer(403, "kind_not_accepted", _("This coupon cannot be used at this merchant.")), coupon)
    if coupon.status == Coupon.Status.REDEEMED:
        return (*_answer(409, "already_redeemed", _("This coupon has already been used.")), coupon)
    if coupon.status == Coupon.Status.VOID:
        return (*_answer(409, "void", _("This coupon has been voided.")), coupon)
    if coupon.status == Coupon.Status.EXPIRED or coupon.expires_at <= now:
        return (*_answer(409, "expired", _("This coupon has expired.")), coupon)
    body = {
        "status": "redeemed", "code": coupon.code, "kind": batch.kind, "face_value": f"{batch.face_value:.2f}",
        "redeemed_at": timezone.localtime(now).isoformat(),
    }
    return 200, body, coupon


def _redemption_start(*, merchant: Merchant, idempotency_key: str, fingerprint: str, now) -> Redemption | None:
    """Take the Idempotency-Key: a new Redemption row, or None when the key was used before.

    ON CONFLICT DO NOTHING waits for a racing first call with the same key to commit, then
    yields nothing, as the nested-savepoint IntegrityError did, in one round trip instead of three.
    """
    redemption = Redemption(
        merchant=merchant, idempotency_key=idempotency_key, request_fingerprint=fingerprint, response_status=0,
        response_body={}, created_at=now,
    )
    columns = ["merchant_id", "idempotency_key", "request_fingerprint", "response_status", "response_body", "created_at"]
    return redemption if _insert_unless_conflict(redemption, columns, "(merchant_id, idempotency_key)") else None


def coupon_redeem(*, merchant: Merchant, code: str, idempotency_key: str, now=None) -> tuple[Redemption, bool]:
    """Redeem a coupon once per Idempotency-Key. Returns (redemption, replayed).

    The first call with a key stores its answer; a later call with the same key and code
    gets that stored answer (waiting for the first to commit if they race); the same key
    with another code is refused.
    """
    now = now or timezone.now()
    code = rules.normalize_code(code)
    fingerprint = hashlib.sha256(code.encode()).hexdigest()
    with transaction.atomic():
        redemption = _redemption_start(merchant=merchant, idempotency_key=idempotency_key, fingerprint=fingerprint, now=now)
        if redemption is None:
            earlier = Redemption.objects.get(merchant=merchant, idempotency_key=idempotency_key)
            if earlier.request_fingerprint != fingerprint:
                raise DomainError(
                    "idempotency_key_reused", _("This Idempotency-Key was already used for another code."),
                    status=422, field="code",
                ) from None
            return earlier, True
        status, body, coupon = _redeem_outcome(merchant=merchant, code=code, now=now)
        redemption.response_status, redemption.response_body, redemption.coupon = status, body, coupon
        if status == 200:
            coupon.status, coupon.redeemed_at, coupon.redeemed_by = Coupon.Status.REDEEMED, now, merchant
            _redeemed_write(redemption, coupon, now)
        else:
            with connection.cursor() as cursor:
                cursor.execute(_ANSWER_SQL, {
                    "redemption": redemption.pk, "status": status, "body": json.dumps(body),
                    "coupon": coupon and coupon.pk,
                })
    return redemption, False


# The stored answer to a redemption attempt that redeemed nothing.
_ANSWER_SQL = (
    f"UPDATE {Redemption._meta.db_table} SET response_status = %(status)s, response_body = %(body)s::jsonb, "
    f"coupon_id = %(coupon)s WHERE id = %(redemption)s"
)
# A redemption's three writes in one statement (fixed text, so prepared inside the API view):
# the coupon marked redeemed, the stored answer and the audit row. Saving them through the
# ORM one by one was a third of a redemption's time.
_REDEEMED_SQL = (
    f"WITH redeemed AS (UPDATE {Coupon._meta.db_table} SET status = %(redeemed)s, redeemed_at = %(now)s, "
    f"redeemed_by_id = %(merchant)s WHERE id = %(coupon)s RETURNING id), "
    f"answered AS ({_ANSWER_SQL}) "
    f"INSERT INTO {AuditLog._meta.db_table} "
    f"(actor_id, action, content_type_id, object_id, organization_path, changes, created_at) "
    f"SELECT NULL, 'coupon_redeemed', %(content_type)s, redeemed.id::text, %(path)s, %(changes)s::jsonb, %(now)s "
    f"FROM redeemed"
)


def _redeemed_write(redemption: Redemption, coupon: Coupon, now) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_REDEEMED_SQL, {
            "redeemed": Coupon.Status.REDEEMED.value, "now": now, "merchant": coupon.redeemed_by_id,
            "coupon": coupon.pk, "redemption": redemption.pk, "status": redemption.response_status,
            "body": json.dumps(redemption.response_body), "content_type": ContentType.objects.get_for_model(Coupon).pk,
            "path": coupon.batch.campaign.organization.path,
            "changes": json.dumps({"merchant": coupon.redeemed_by_id, "status": ["issued", "redeemed"]}),
        })


# --- Running it ---------------------------------------------------------------------------------

def coupons_expire(*, now=None, chunk: int = 5000) -> int:
    """Mark coupons past their validity as expired, in chunks. Safe to run any time."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                Coupon.objects.filter(status=Coupon.Status.ISSUED, expires_at__lte=now)
                .select_for_update(skip_locked=True).values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                return total
            total += Coupon.objects.filter(pk__in=ids, status=Coupon.Status.ISSUED).update(status=Coupon.Status.EXPIRED)


def _void_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _("Please give a reason."), field="reason")
    if len(reason) > Coupon._meta.get_field("void_reason").max_length:
        raise DomainError("reason_too_long", _("The reason may be at most 255 characters."), field="reason")
    return reason


def coupons_void(*, actor, coupons, reason: str) -> int:
    """Void every unused coupon among `coupons` in one statement; how many were voided.

    Staff void a whole batch when its merchant withdraws: one coupon at a time took 2–4 ms,
    so a batch of 15,000 ran past the request's timeout. Each voided coupon gets the audit row
    a coupon voided alone gets. The statement re-checks each row's status under its lock, so a
    coupon redeemed meanwhile stays redeemed. The rows are locked in the order of their ids, so
    two staff members voiding overlapping selections wait for each other, never deadlock.
    """
    reason = _void_reason(reason)
    unused = coupons.filter(status=Coupon.Status.ISSUED).order_by().values("pk")
    try:
        sql, params = unused.query.sql_with_params()
    except EmptyResultSet:  # a search that matches nothing
        return 0
    table = Coupon._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, void_reason = %s WHERE status = %s AND id IN ("
            f"SELECT id FROM {table} WHERE id IN ({sql}) ORDER BY id FOR UPDATE) RETURNING id, batch_id",
            [Coupon.Status.VOID, reason, Coupon.Status.ISSUED, *params],
        )
        voided = cursor.fetchall()
        paths = dict(CouponBatch.objects.filter(pk__in={batch for _coupon, batch in voided})
                     .values_list("pk", "campaign__organization__path"))
        content_type = ContentType.objects.get_for_model(Coupon)
        AuditLog.objects.bulk_create([
            AuditLog(actor=actor if getattr(actor, "pk", None) else None, action="coupon_voided",
                     content_type=content_type, object_id=str(coupon), organization_path=paths[batch],
                     changes={"status": ["issued", "void"], "reason": reason})
            for coupon, batch in voided
        ], batch_size=2000)
    return len(voided)


def coupon_void(*, actor, coupon: Coupon, reason: str) -> Coupon:
    """Void an unused coupon (e.g. claimed by mistake); the member's claim stays counted."""
    if not coupons_void(actor=actor, coupons=Coupon.objects.filter(pk=coupon.pk), reason=reason):
        raise DomainError("not_voidable", _("Only unused coupons can be voided."), status=409)
    coupon.refresh_from_db()
    return coupon
