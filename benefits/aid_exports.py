"""Mutual-aid spreadsheets: a payment batch as a bank-transfer .xlsx, and roster reading
for bulk enrolment."""

import io

from django.http import HttpResponse
from django.utils.translation import gettext as _, pgettext
from openpyxl import Workbook, load_workbook

from members.models import Member, id_number_hash

from .models import AidPayment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROSTER_ROWS = 5000
# Column headers understood when enrolling a roster (as staff write them, or the API names).
CARD_HEADERS = ("会员卡号", "卡号", "card_number")
ID_HEADERS = ("身份证号", "身份证号码", "id_number")


def aid_payment_workbook(payment: AidPayment) -> bytes:
    """One row per claim: what the bank needs to transfer, and what staff need to check."""
    book = Workbook()
    sheet = book.active
    sheet.title = pgettext("bank payments", "Transfers")
    sheet.append([_("No."), _("Claim"), _("Payee"), _("Card number"), _("Bank"), _("Account number"),
                  _("Amount (CNY)"), _("Grassroots union"), _("Note")])
    claims = payment.claims.select_related("member__organization").order_by("pk")
    for number, claim in enumerate(claims, start=1):
        sheet.append([
            number, claim.pk, claim.member.name, claim.member.card_number, claim.payee_bank, claim.payee_account,
            float(claim.payout), claim.member.organization.name,
            _("Mutual aid, claim %(id)s") % {"id": claim.pk},
        ])
        sheet.cell(row=number + 1, column=7).number_format = "#,##0.00"
    sheet.append([])
    sheet.append(["", "", "", "", "", _("Total"), float(payment.total)])
    for column, width in zip("ABCDEFGHI", (6, 8, 12, 18, 18, 26, 14, 30, 24)):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def aid_payment_response(payment: AidPayment) -> HttpResponse:
    response = HttpResponse(aid_payment_workbook(payment), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="aid-payment-{payment.pk}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


def roster_members(data: bytes, members) -> tuple[list[Member], list[str]]:
    """Members of `members` (already scoped) named in an .xlsx by card or ID number.

    Returns (found members, problems naming the row).
    """
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return [], [_("The file is not an .xlsx workbook.")]
    rows = sheet.iter_rows(values_only=True)
    header = [str(cell or "").strip() for cell in next(rows, [])]
    card_column = next((i for i, name in enumerate(header) if name in CARD_HEADERS), None)
    id_column = next((i for i, name in enumerate(header) if name in ID_HEADERS), None)
    if card_column is None and id_column is None:
        return [], [_("The first row must name a column 会员卡号 or 身份证号.")]
    cards, hashes, problems = {}, {}, []
    for line, row in enumerate(rows, start=2):
        if line > MAX_ROSTER_ROWS + 1:
            problems.append(_("Only the first %(n)s rows were read.") % {"n": MAX_ROSTER_ROWS})
            break
        card = str(row[card_column] or "").strip() if card_column is not None and card_column < len(row) else ""
        id_number = str(row[id_column] or "").strip().upper() if id_column is not None and id_column < len(row) else ""
        if card:
            cards[card] = line
        elif id_number:
            hashes[id_number_hash(id_number)] = line
    found = list(members.filter(card_number__in=list(cards)))
    found += list(members.filter(id_number_hash__in=list(hashes)))
    seen_cards = {m.card_number for m in found}
    seen_hashes = {m.id_number_hash for m in found}
    problems += [_("Row %(line)s: no member with that card number in your union.") % {"line": line}
                 for card, line in cards.items() if card not in seen_cards]
    problems += [_("Row %(line)s: no member with that ID number in your union.") % {"line": line}
                 for digest, line in hashes.items() if digest not in seen_hashes]
    unique = {m.pk: m for m in found}
    return list(unique.values()), problems
