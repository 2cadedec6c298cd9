"""Finding clear resident ID numbers and mobile numbers in text such as logs.

An ID number counts only when the project's own validator (GB 11643: province, birth date,
check digit) accepts it, so long numbers that merely have 18 digits are not reported. Both
kinds count only when they stand alone: not inside a longer run of digits or a word.
"""

import re
from dataclasses import dataclass
from datetime import date

from members.rules import IdNumberError, parse_id_number
from unionportal.core.pii import mask_id_number, mask_phone

# ASCII word characters (and, before a mobile number, a decimal point) end a number; Chinese
# text around it does not. A mobile number may carry the +86 country code (%2B86 in a URL).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z_])\d{17}[\dXx](?![0-9A-Za-z_])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z_.])(?:(?:\+|%2[Bb])?86[ -]?)?(1[3-9]\d{9})(?![0-9A-Za-z_])")


@dataclass(frozen=True)
class Finding:
    kind: str  # "id_number" or "mobile"
    value: str

    def __repr__(self):  # what a failing assertion prints
        return f"Finding({self.kind}, {self.masked})"

    @property
    def masked(self) -> str:
        return mask_id_number(self.value) if self.kind == "id_number" else mask_phone(self.value)


def personal_numbers_in(text: str, today: date | None = None) -> list[Finding]:
    today = today or date.today()
    found = []
    for match in _ID_NUMBER.finditer(text):
        try:
            parse_id_number(match.group().upper(), today)
        except IdNumberError:
            continue
        found.append(Finding("id_number", match.group()))
    found.extend(Finding("mobile", match.group(1)) for match in _MOBILE.finditer(text))
    return found


def masked_line(line: str, findings: list[Finding]) -> str:
    """The line with every finding masked, safe to print in a test report."""
    for finding in findings:
        line = line.replace(finding.value, finding.masked)
    return line
