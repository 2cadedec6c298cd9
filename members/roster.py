"""Rosters as .xlsx: import by a union's staff (upload → preview → commit), masked export.

Importing is idempotent: a person whose ID number already has a membership is skipped,
so the same file twice creates nothing new.
"""

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from unionportal.core.errors import DomainError
from unionportal.core.pii import mask_id_number, mask_phone
from unionportal.core.services import audit_log, notification_send

from . import services
from .admin_scoping import role_allows
from .models import Member, Organization, RosterImport, User, WorkerCategory, id_number_hash, phone_hash
from .scoping import scope_queryset

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024

# Column headers understood on import (Chinese as staff write them, or the API names).
COLUMNS = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
    "phone": ("手机号", "手机号码", "phone"),
    "worker_category": ("职工类别", "worker_category"),
    "is_frontline": ("一线职工", "is_frontline"),
    "is_technical": ("技术工人", "is_technical"),
}
YES = {"是", "y", "yes", "true", "1", "√"}


@dataclass
class RosterRow:
    line: int
    name: str = ""
    id_number: str = ""
    phone: str = ""
    worker_category: str = "employee"
    is_frontline: bool = False
    is_technical: bool = False
    errors: list = field(default_factory=list)
    exists: bool = False

    @property
    def importable(self) -> bool:
        return not self.errors and not self.exists

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self):
        return mask_phone(self.phone)


def _category(value: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return WorkerCategory.EMPLOYEE
    if text in WorkerCategory.values:
        return text
    with_labels = {}
    from django.utils import translation

    for language in ("zh-hans", "en"):
        with translation.override(language):
            with_labels.update({str(label): code for code, label in WorkerCategory.choices})
    return with_labels.get(text)


def roster_parse(content: bytes, today) -> list[RosterRow]:
    """Read the first sheet; every row gets its own list of translated errors."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise DomainError("invalid_file", _("This is not an .xlsx file that can be read."), field="file") from None
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(cell or "").strip() for cell in next(rows, [])]
    positions = {}
    for key, names in COLUMNS.items():
        for index, title in enumerate(header):
            if title in names:
                positions[key] = index
    missing = [COLUMNS[key][0] for key in ("name", "id_number", "phone") if key not in positions]
    if missing:
        raise DomainError("missing_columns", _("The first row must name the columns; missing: %(columns)s")
                          % {"columns": "、".join(missing)}, field="file")
    parsed, seen_ids, seen_phones = [], {}, {}
    for line, cells in enumerate(rows, start=2):
        if len(parsed) >= MAX_ROWS:
            raise DomainError("too_many_rows", _("At most %(count)d rows per file.") % {"count": MAX_ROWS}, field="file")

        def cell(key):
            index = positions.get(key)
            value = cells[index] if index is not None and index < len(cells) else None
            return "" if value is None else str(value).strip()

        if not any(cell(key) for key in COLUMNS):
            continue
        row = RosterRow(line=line, name=cell("name"))
        if not row.name:
            row.errors.append(str(_("Enter your real name as on your ID card.")))
        try:
            row.id_number, _facts = services.id_number_validate(cell("id_number"), today)
        except DomainError as error:
            row.errors.append(str(error.message))
        try:
            row.phone = services.phone_validate(cell("phone"))
        except DomainError as error:
            row.errors.append(str(error.message))
        category = _category(cell("worker_category"))
        if category is None:
            row.errors.append(str(_("Choose a worker category from the list.")))
        else:
            row.worker_category = category
        row.is_frontline = cell("is_frontline").lower() in YES
        row.is_technical = cell("is_technical").lower() in YES
        if row.id_number and row.id_number in seen_ids:
            row.errors.append(gettext("The same ID number is already on line %(line)d.") % {"line": seen_ids[row.id_number]})
        if row.phone and row.phone in seen_phones:
            row.errors.append(gettext("The same mobile number is already on line %(line)d.") % {"line": seen_phones[row.phone]})
        seen_ids.setdefault(row.id_number, line)
        seen_phones.setdefault(row.phone, line)
        parsed.append(row)
    _mark_existing(parsed)
    return parsed


def _mark_existing(rows: list[RosterRow]) -> None:
    """Already a member → skipped; a phone that belongs to another account → an error."""
    id_hashes = {id_number_hash(row.id_number): row for row in rows if row.id_number}
    for known in Member.objects.filter(id_number_hash__in=list(id_hashes)).values_list("id_number_hash", flat=True):
        id_hashes[known].exists = True
    phone_hashes = {phone_hash(row.phone): row for row in rows if row.phone and not row.exists}
    for known in User.objects.filter(phone_hash__in=list(phone_hashes)).values_list("phone_hash", flat=True):
        phone_hashes[known].errors.append(str(_("This mobile number already has an account; log in instead.")))


def roster_preview(*, actor, organization: Organization, file_name: str, content: bytes, today) -> tuple[RosterImport, list[RosterRow]]:
    rows = roster_parse(content, today)
    upload = RosterImport.objects.create(
        organization=organization, uploaded_by=actor, file_name=file_name[:255],
        file_sha256=hashlib.sha256(content).hexdigest(),
        rows=json.dumps([asdict(row) for row in rows if row.importable], ensure_ascii=False),
    )
    return upload, rows


def roster_commit(*, actor, upload: RosterImport) -> RosterImport:
    """Create the previewed members (active, verified by the importer); skip any that exist now."""
    with transaction.atomic():
        upload = RosterImport.objects.select_for_update().select_related("organization").get(pk=upload.pk)
        if upload.status != RosterImport.Status.PREVIEW:
            raise DomainError("already_committed", _("This roster was already imported."), status=409)
        organization = upload.organization
        created = skipped = 0
        now = timezone.now()
        for values in json.loads(upload.rows or "[]"):
            row = RosterRow(**values)
            try:
                with transaction.atomic():  # one savepoint per row: a taken ID or phone skips only that row
                    _id_number, facts = services.id_number_validate(row.id_number, timezone.localdate())
                    user = User.objects.create_user(row.phone, None, name=row.name)
                    member = Member(
                        user=user, organization=organization, name=row.name, birth_date=facts.birth_date,
                        sex=facts.sex, card_number=services.card_number_next(), status=Member.Status.ACTIVE,
                        worker_category=row.worker_category, is_frontline=row.is_frontline,
                        is_technical=row.is_technical, verified_at=now, verified_by=actor,
                    )
                    member.set_id_number(row.id_number)
                    member.save()
                    audit_log(actor=actor, action="member_imported", obj=member, organization_path=organization.path,
                              changes={"status": [None, member.status], "roster_import": upload.pk})
                    notification_send(
                        user=user, event="member_imported",
                        message=_("%(union)s registered you as a member. Card number: %(card)s.")
                        % {"union": organization.name, "card": member.card_number},
                    )
                created += 1
            except (IntegrityError, DomainError):
                skipped += 1
        upload.status = RosterImport.Status.COMMITTED
        upload.created_count, upload.skipped_count = created, skipped
        upload.committed_at = now
        upload.rows = ""  # nothing personal stays behind once the members exist
        upload.save()
    return upload


# --- Export ------------------------------------------------------------------------------

EXPORT_HEADER = (
    _("real name"), _("resident ID number"), _("mobile number"), _("sex"), _("grassroots union"), _("card number"),
    _("status"), _("worker category"), _("front-line worker"), _("technical worker"), _("model worker honour"),
    _("hardship file"), _("applied at"), _("verified at"),
)


# Excel opens at most 1,048,576 rows a sheet: a longer export goes on to another sheet.
ROWS_PER_SHEET = 1_000_000


# What each row reads: the masked copies kept beside the ciphertexts, so nothing is decrypted.
ROW_COLUMNS = (
    "name", "id_number_masked", "user__phone_masked", "sex", "organization__name", "card_number", "status",
    "worker_category", "is_frontline", "is_technical", "model_worker_level", "has_hardship_file", "joined_at",
    "verified_at",
)


def roster_write(queryset, target, *, rows_per_sheet: int = ROWS_PER_SHEET) -> int:
    """Write the members as .xlsx to `target` (a path or a file), ID and phone masked, read from
    the database in chunks and written row by row; returns how many members were written.

    Rows are plain column values and each choice's label is looked up once per export: building
    a Member per row and Django's get_FOO_display (which hashes every choice on each call) took
    most of a district's export time.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    header = [str(title) for title in EXPORT_HEADER]
    labels = {name: {value: str(label) for value, label in Member._meta.get_field(name).flatchoices}
              for name in ("sex", "status", "worker_category", "model_worker_level")}
    sexes, statuses, categories, honours = (labels[name] for name in ("sex", "status", "worker_category",
                                                                       "model_worker_level"))
    yes_no = {True: gettext("Yes"), False: gettext("No")}
    local = timezone.get_current_timezone()
    sheet, written = None, 0
    for (name, id_masked, phone_masked, sex, union, card, status, category, frontline, technical, honour, hardship,
         joined_at, verified_at) in queryset.values_list(*ROW_COLUMNS).iterator(chunk_size=2000):
        if written % rows_per_sheet == 0:
            number = written // rows_per_sheet + 1
            sheet = workbook.create_sheet(str(_("members")) + (f" {number}" if number > 1 else ""))
            sheet.append(header)
        sheet.append([
            name, id_masked, phone_masked, sexes.get(sex, sex), union, card, statuses.get(status, status),
            categories.get(category, category), yes_no[frontline], yes_no[technical], honours.get(honour, honour),
            yes_no[hardship], joined_at.astimezone(local).strftime("%Y-%m-%d %H:%M"),
            verified_at.astimezone(local).strftime("%Y-%m-%d %H:%M") if verified_at else "",
        ])
        written += 1
    if sheet is None:  # nothing to export: the header alone
        workbook.create_sheet(str(_("members"))).append(header)
    workbook.save(target)
    return written


def roster_export_response(queryset) -> HttpResponse:
    """A few members (a change list's selection) as .xlsx, answered at once."""
    buffer = io.BytesIO()
    roster_write(queryset, buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="members-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


# --- The admin view ------------------------------------------------------------------------


class RosterUploadForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("grassroots union"), queryset=Organization.objects.none())
    file = forms.FileField(label=_("roster file (.xlsx)"), help_text=_(
        "Columns: 姓名, 身份证号, 手机号, and optionally 职工类别, 一线职工 (是/否), 技术工人 (是/否)."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        unions = scope_queryset(Organization.objects.filter(kind__in=Organization.GRASSROOTS_KINDS, is_active=True), user)
        self.fields["organization"].queryset = unions
        from .scoping import staff_assignment

        own = staff_assignment(user)
        if own and own.organization.is_grassroots:
            self.fields["organization"].initial = own.organization.pk
            self.fields["organization"].queryset = unions.filter(pk=own.organization.pk)
        else:
            # Above the grassroots level the picker searches the scoped organisation admin.
            from .admin import organization_autocomplete

            self.fields["organization"].widget = organization_autocomplete()
            self.fields["organization"].queryset = unions  # hands the choices to the new widget

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx file."))
        return upload


def roster_import_view(model_admin, request):
    if not role_allows(request.user, "change"):
        raise Http404
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
               "title": _("Import a roster")}
    commit_id = request.POST.get("commit")
    if request.method == "POST" and commit_id:
        upload = scope_queryset(RosterImport.objects.all(), request.user).filter(
            pk=commit_id if commit_id.isdecimal() else 0, uploaded_by=request.user).first()
        if upload is None:
            raise Http404
        try:
            upload = roster_commit(actor=request.user, upload=upload)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(reverse("admin:members_member_import"))
        messages.success(request, gettext("%(created)d members imported, %(skipped)d rows skipped.")
                         % {"created": upload.created_count, "skipped": upload.skipped_count})
        return redirect(reverse("admin:members_member_changelist"))
    form = RosterUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            upload, rows = roster_preview(
                actor=request.user, organization=form.cleaned_data["organization"],
                file_name=form.cleaned_data["file"].name, content=form.cleaned_data["file"].read(),
                today=timezone.localdate(),
            )
        except DomainError as error:
            form.add_error("file", str(error.message))
        else:
            context.update(upload=upload, rows=rows, importable=sum(row.importable for row in rows),
                           existing=sum(row.exists for row in rows), invalid=sum(bool(row.errors) for row in rows))
            return TemplateResponse(request, "admin/members/member/import_preview.html", context)
    context.update(form=form, media=model_admin.media + form.media)
    return TemplateResponse(request, "admin/members/member/import.html", context)
