"""Rosters and settlements as .xlsx workbooks for the back office.

Rosters carry names and card numbers (what a base needs to check people in), never ID
or phone numbers.
"""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .selectors import session_roster


def _sheet(workbook, title, header):
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([str(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    return sheet


def _bytes(workbook) -> bytes:
    if len(workbook.sheetnames) > 1 and workbook.sheetnames[0] == "Sheet":
        del workbook["Sheet"]
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def rosters_workbook(sessions) -> bytes:
    """One sheet per session: everyone on its list with status and check-in time."""
    workbook = Workbook()
    for session in sessions:
        sheet = _sheet(workbook, f"{session.starts_on:%Y%m%d}-{session.pk}", [
            _("Name"), _("Card number"), _("Grassroots union"), _("Status"), _("Priority score"),
            _("Confirm by"), _("Checked in at"),
        ])
        for nomination in session_roster(session):
            sheet.append([
                nomination.member.name, nomination.member.card_number, nomination.member.organization.name,
                nomination.get_status_display(), nomination.priority_score, _local(nomination.respond_by),
                _local(nomination.checked_in_at),
            ])
        sheet.append([])
        sheet.append([str(session.program.base), session.program.name, f"{session.starts_on} – {session.ends_on}",
                      _("Seats"), session.seats, _("Attended"), session.attended_count])
    return _bytes(workbook)


def settlements_workbook(settlements) -> bytes:
    """One row per paying level of each settled session, with the rate and amount."""
    workbook = Workbook()
    sheet = _sheet(workbook, _("Settlements"), [
        _("Session"), _("Base"), _("Organising union"), _("First day"), _("Days"), _("Attendees"),
        _("Paying level"), _("Per person per day (CNY)"), _("Amount (CNY)"), _("Settled at"),
    ])
    for settlement in settlements:
        session = settlement.session
        for line in settlement.lines.all():
            sheet.append([
                session.pk, session.program.base.name, session.organising_union.name, session.starts_on,
                settlement.days, settlement.attendees, line.get_paying_level_display(), line.rate, line.amount,
                _local(settlement.settled_at),
            ])
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=9):
        for cell in row:
            cell.number_format = "#,##0.00"
    return _bytes(workbook)
