"""Pure rules about people and organisations: identity numbers, phones, credit codes.

No ORM, no clock: callers pass `today` in.
"""

import re
from dataclasses import dataclass
from datetime import date

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")

# GB/T 2260 province-level prefixes of the resident ID number.
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalize_phone(raw: str) -> str:
    """Drop spaces, dashes and a +86 / 0086 prefix."""
    phone = re.sub(r"[\s-]", "", raw or "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix):]
    return phone


def is_mainland_mobile(phone: str) -> bool:
    return bool(PHONE_PATTERN.match(phone))


def id_number_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def normalize_id_number(raw: str) -> str:
    return (raw or "").strip().upper()


@dataclass(frozen=True)
class IdNumberFacts:
    birth_date: date
    sex: str  # "male" / "female"


class IdNumberError(ValueError):
    """`code` names what is wrong: length, format, province, birth_date, check_digit."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_id_number(id_number: str, today: date) -> IdNumberFacts:
    """Validate an 18-character resident ID number (GB 11643) and derive birth date and sex."""
    if len(id_number) != 18:
        raise IdNumberError("length")
    if not re.match(r"^\d{17}[\dX]$", id_number):
        raise IdNumberError("format")
    if id_number[:2] not in PROVINCE_CODES:
        raise IdNumberError("province")
    try:
        birth_date = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        raise IdNumberError("birth_date") from None
    if birth_date > today or birth_date.year < 1900:
        raise IdNumberError("birth_date")
    if id_number_check_character(id_number[:17]) != id_number[17]:
        raise IdNumberError("check_digit")
    sex = "male" if int(id_number[16]) % 2 == 1 else "female"
    return IdNumberFacts(birth_date=birth_date, sex=sex)


# GB 32100 unified social credit code: 18 characters from this alphabet (no I, O, S, V, Z).
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    total = sum(_CREDIT_ALPHABET.index(char) * weight for char, weight in zip(first17, _CREDIT_WEIGHTS))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    if len(code) != 18 or any(char not in _CREDIT_ALPHABET for char in code):
        return False
    return credit_code_check_character(code[:17]) == code[17]


def card_number_check_character(body: str) -> str:
    """Luhn check digit over the digits of a membership card number."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid_card_number(card_number: str) -> bool:
    return card_number.isdecimal() and len(card_number) >= 2 and (
        card_number_check_character(card_number[:-1]) == card_number[-1]
    )


def search_tokens(names: list[str]) -> list[str]:
    """Every character and every pair of neighbouring characters of the names, lower-cased.

    A text contains a query only if it holds all of the query's tokens, so an array index
    over these finds candidates fast; the caller then confirms the exact substring.
    """
    tokens: set[str] = set()
    for name in names:
        text = (name or "").lower()
        tokens.update(text)
        tokens.update(text[index:index + 2] for index in range(len(text) - 1))
    tokens.discard(" ")
    return sorted(token for token in tokens if token.strip() == token)


def query_tokens(query: str) -> list[str]:
    """The tokens a text must hold to contain `query` (pairs, or the single character)."""
    text = (query or "").strip().lower()
    if len(text) <= 1:
        return [text] if text else []
    pairs = {text[index:index + 2] for index in range(len(text) - 1)}
    return sorted(pair for pair in pairs if pair.strip() == pair)


# Which kinds of union may sit directly below which (city → district → street → grassroots).
CHILD_KINDS = {
    "city": ("district", "industry"),
    "district": ("street", "enterprise", "industry", "joint"),
    "street": ("enterprise", "industry", "joint"),
    "enterprise": (),
    "industry": ("joint",),
    "joint": (),
}


def may_be_child(parent_kind: str, child_kind: str) -> bool:
    return child_kind in CHILD_KINDS.get(parent_kind, ())


# Staff roles from the most to the least powerful.
ROLE_RANK = {"admin": 3, "reviewer": 2, "viewer": 1}


def role_at_most(granted: str, own: str) -> bool:
    return ROLE_RANK.get(granted, 99) <= ROLE_RANK.get(own, 0)
