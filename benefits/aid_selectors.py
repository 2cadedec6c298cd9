"""Medical mutual aid, reads: always starting from what the caller may see."""

from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from members.models import Member, Organization
from members.scoping import scope_prefix
from unionportal.core.money import money_round

from .models import AidClaim, AidClaimDocument, AidEnrolment, AidPlan


def aid_plans_listed(*, today: date) -> QuerySet:
    """Plans open for enrolment or in force: every member may read their terms."""
    return (AidPlan.objects.select_related("organization")
            .filter(Q(is_open_for_enrolment=True) | Q(coverage_ends_on__gte=today))
            .order_by("-year", "-pk"))


def aid_claims_visible_to(user) -> QuerySet:
    """A member's own claims, plus for staff every claim in their part of the tree."""
    claims = AidClaim.objects.select_related("member__organization", "plan")
    if user is None or not user.is_authenticated:
        return claims.none()
    prefix = scope_prefix(user)
    if prefix == "":
        return claims
    # Both sides name the claim's own columns: an OR across joined tables made PostgreSQL join
    # every claim to its member and union before it could drop any (half a second for a district).
    own = Q(member__in=Member.objects.filter(user=user).values("pk"))
    if prefix is None:
        return claims.filter(own)
    return claims.filter(own | Q(organization__in=Organization.objects.filter(path__startswith=prefix).values("pk")))


def aid_claim_document_visible_to(user, *, claim_id: int, document_id: int) -> AidClaimDocument | None:
    claim = aid_claims_visible_to(user).filter(pk=claim_id).first()
    if claim is None:
        return None
    return AidClaimDocument.objects.filter(claim=claim, pk=document_id).first()


def aid_enrolments_of(member) -> QuerySet:
    return AidEnrolment.objects.filter(member=member).select_related("plan")


def _amount(text) -> str:
    return f"{money_round(Decimal(text)):,}"


def _percent(rate) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}%"


def aid_breakdown_lines(breakdown) -> list[str]:
    """The stored breakdown in plain words, in the active language (for members and staff)."""
    lines = []
    for step in breakdown or []:
        code = step["step"]
        if code == "deductible":
            lines.append(_("Deductible: %(amount)s of this stay's self-paid %(self_paid)s counts toward the "
                           "yearly deductible of %(deductible)s (already used before: %(before)s).") % {
                "amount": _amount(step["amount"]), "self_paid": _amount(step["base"]),
                "deductible": _amount(step["upper"]), "before": _amount(step["lower"])})
        elif code == "segment":
            values = {"base": _amount(step["base"]), "lower": _amount(step["lower"]), "rate": _percent(step["rate"]),
                      "amount": _amount(step["amount"])}
            if "upper" in step:
                values["upper"] = _amount(step["upper"])
                lines.append(_("%(base)s in the band %(lower)s – %(upper)s × %(rate)s = %(amount)s") % values)
            else:
                lines.append(_("%(base)s in the band above %(lower)s × %(rate)s = %(amount)s") % values)
        elif code == "allowance":
            lines.append(_("The stay did not pass the deductible: hospitalisation allowance %(days)s days × "
                           "%(per_day)s, at most %(max)s = %(amount)s") % {
                "days": step["base"].split(".")[0], "per_day": _amount(step["rate"]),
                "max": _amount(step["upper"]), "amount": _amount(step["amount"])})
        elif code == "accident":
            lines.append(_("Accident injury: %(base)s × %(rate)s, at most %(max)s per claim = %(amount)s") % {
                "base": _amount(step["base"]), "rate": _percent(step["rate"]), "max": _amount(step["upper"]),
                "amount": _amount(step["amount"])})
        elif code == "threshold":
            lines.append(_("Major-illness relief: own spending this year %(spent)s; relief starts above %(amount)s") % {
                "spent": _amount(step["base"]), "amount": _amount(step["amount"])})
        elif code == "relief_max":
            lines.append(_("Relief limited to what is left of the yearly maximum %(max)s: %(amount)s") % {
                "max": _amount(step["upper"]), "amount": _amount(step["amount"])})
        elif code == "minimum":
            lines.append(_("%(base)s is below the minimum payout, raised to %(amount)s") % {
                "base": _amount(step["base"]), "amount": _amount(step["amount"])})
        elif code == "cap":
            lines.append(_("Yearly maximum %(cap)s, of which %(paid)s was already approved: payout limited from "
                           "%(base)s to %(amount)s") % {
                "cap": _amount(step["upper"]), "paid": _amount(step["lower"]), "base": _amount(step["base"]),
                "amount": _amount(step["amount"])})
        elif code == "total":
            lines.append(_("Payout: %(amount)s CNY") % {"amount": _amount(step["amount"])})
    return lines
