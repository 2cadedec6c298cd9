"""Builders for aid tests: plans and claims made through the services."""

import io
import struct
import zlib
from datetime import date
from decimal import Decimal as D

from benefits import aid_services
from members.models import Organization

from .terms import ACCIDENT_DATA, MAJOR_ILLNESS_DATA, SEGMENTS_DATA

TODAY = date(2026, 6, 30)


def plan_fields(**overrides):
    fields = dict(
        year=2026, title="2026年度职工医疗互助保障计划", premium=D("100.00"),
        coverage_starts_on=date(2026, 1, 1), coverage_ends_on=date(2026, 12, 31), filing_deadline_days=90,
        deductible_per_year=D("1000.00"), segments=SEGMENTS_DATA, minimum_payout=D("100.00"),
        yearly_cap=D("1000000.00"), allowance_per_day=D("50.00"), allowance_max=D("500.00"),
        accident_terms=ACCIDENT_DATA, major_illness_terms=MAJOR_ILLNESS_DATA,
    )
    fields.update(overrides)
    return fields


def make_plan(city: Organization, actor=None, **overrides):
    return aid_services.aid_plan_create(actor=actor, organization=city, **plan_fields(**overrides))


_invoice = iter(range(1, 10**6))


def claim_fields(**overrides):
    fields = dict(
        kind="hospitalisation", hospital="泉州市第一医院", admitted_on=date(2026, 6, 1), discharged_on=date(2026, 6, 5),
        total_cost=D("3000.00"), insurance_paid=D("1000.00"), self_paid=D("2000.00"),
        invoice_numbers=[f"FP{next(_invoice):08d}"],
    )
    fields.update(overrides)
    return fields


def file_claim(member, today=TODAY, **overrides):
    return aid_services.aid_claim_submit(member=member, today=today, **claim_fields(**overrides))


def png_bytes(width=2, height=2) -> bytes:
    """A real PNG (red pixels), built by hand so no imaging library is needed."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xc6\x28\x28" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def pdf_bytes(script: str | None = None, hide_names: bool = False) -> bytes:
    """A one-page PDF; with `script`, an open action that runs JavaScript.

    `hide_names` writes the names with #-escapes (/J#53), which a byte search misses.
    """
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if script:
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(script)})
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    if hide_names:
        data = data.replace(b"/JavaScript", b"/Java#53cript").replace(b"/JS", b"/J#53")
    return data


def add_document(claim, actor=None, data=None, name="invoice.png"):
    return aid_services.aid_claim_document_add(claim=claim, actor=actor or claim.member.user,
                                               data=png_bytes() if data is None else data, filename=name)
