"""Pure coupon rules: eligibility, budget, coupon codes and the lottery.

No ORM, no clock, no settings: callers pass plain values (and `now`) in.

Eligibility, in the order a member hears about it:
1. only active (verified) members may claim;
2. the member's grassroots union must lie under the campaign's organisation (or the
   narrower part of the tree the campaign names);
3. if the campaign names worker categories, the member's must be one of them;
4. if the campaign is for front-line workers only, the member must be one.

Coupon codes are 16 random characters of Crockford's base-32 alphabet (80 bits, from
`secrets`) plus one check character (Luhn mod 32), so a mistyped character or two swapped
neighbours are caught before the database is asked.
"""

import random
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from django.utils.translation import gettext_lazy as _

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_BODY_LENGTH = 16
PICKUP_CODE_LENGTH = 8


@dataclass(frozen=True)
class MemberFacts:
    status: str
    organization_path: str
    worker_category: str
    is_frontline: bool


@dataclass(frozen=True)
class CampaignEligibility:
    tree_path: str  # members under this organisation path may take part
    worker_categories: tuple[str, ...] = ()
    frontline_only: bool = False


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason_code: str = ""
    reason: str = ""


def coupon_eligibility(member: MemberFacts | None, campaign: CampaignEligibility) -> Eligibility:
    """May this member claim in this campaign? If not, a reason a member understands."""
    if member is None:
        return Eligibility(False, "not_member", _("Only union members can claim coupons."))
    if member.status != "active":
        return Eligibility(False, "not_verified", _("Your membership has not been verified yet."))
    if not member.organization_path.startswith(campaign.tree_path):
        return Eligibility(False, "outside_tree", _("This campaign is for members of another union."))
    if campaign.worker_categories and member.worker_category not in campaign.worker_categories:
        return Eligibility(False, "worker_category", _("This campaign is for other worker categories."))
    if campaign.frontline_only and not member.is_frontline:
        return Eligibility(False, "frontline_only", _("This campaign is for front-line workers only."))
    return Eligibility(True)


def batch_value(face_value: Decimal, quantity: int) -> Decimal:
    return face_value * quantity


def budget_allows(budget: Decimal, batch_values: Sequence[Decimal], new_value: Decimal = Decimal("0")) -> bool:
    """The batches' total value (including a new one) stays within the campaign's budget."""
    return sum(batch_values, Decimal("0")) + new_value <= budget


def claim_window_state(now, starts_at, ends_at) -> str:
    """"upcoming", "open" or "closed": the window includes its start and excludes its end."""
    if now < starts_at:
        return "upcoming"
    if now >= ends_at:
        return "closed"
    return "open"


def code_check_character(body: str) -> str:
    """Luhn mod N over CODE_ALPHABET; raises ValueError for a character outside it. It catches
    every single wrong character and every swap of neighbours but one: 0 and Z (the first and
    last of the alphabet), as Luhn's own algorithm misses 09 and 90."""
    base = len(CODE_ALPHABET)
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * CODE_ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // base + addend % base
    return CODE_ALPHABET[(base - total % base) % base]


def normalize_code(raw: str) -> str:
    """What a person typed: spaces and dashes dropped, upper case, O/I/L read as 0/1/1."""
    cleaned = "".join(ch for ch in str(raw).upper() if ch not in " -\t")
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def code_is_well_formed(code: str) -> bool:
    if len(code) != CODE_BODY_LENGTH + 1 or any(ch not in CODE_ALPHABET for ch in code):
        return False
    return code_check_character(code[:-1]) == code[-1]


def is_pickup_code(code: str) -> bool:
    return len(code) == PICKUP_CODE_LENGTH and code.isdigit()


_CODE_BITS = 5  # per character: the alphabet has 32


def new_coupon_code() -> str:
    # 80 random bits read at once and cut into characters (one call to the system's generator,
    # where a choice per character made sixteen).
    bits = int.from_bytes(secrets.token_bytes(CODE_BODY_LENGTH * _CODE_BITS // 8))
    body = "".join(CODE_ALPHABET[(bits >> (_CODE_BITS * i)) & 31] for i in range(CODE_BODY_LENGTH))
    return body + code_check_character(body)


def new_pickup_code() -> str:
    return f"{secrets.randbelow(10 ** PICKUP_CODE_LENGTH):0{PICKUP_CODE_LENGTH}d}"


def format_code(code: str) -> str:
    """Groups of four for reading aloud: XXXX-XXXX-XXXX-XXXX-C."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def lottery_order(applicant_ids: Sequence[int], seed: str) -> list[int]:
    """The draw order of the applicants: a shuffle of the sorted ids by a seeded generator.

    Anyone with the seed and the list of applications can re-run it and get the same order;
    the first ones who can still receive a coupon win.
    """
    ordered = sorted(applicant_ids)
    random.Random(seed).shuffle(ordered)
    return ordered


def new_lottery_seed() -> str:
    return secrets.token_hex(16)
