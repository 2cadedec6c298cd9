"""Checking an uploaded claim document by its content, not its name or declared type.

Accepted: JPEG, PNG and PDF, up to settings.AID_DOCUMENT_MAX_BYTES (10 MB by default). A
PDF must open and carry no JavaScript (no /JS or /JavaScript anywhere in its objects):
scanned invoices never need scripts, and such files are a common attack on reviewers.
"""

import io
import re

import filetype
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from unionportal.core.errors import DomainError

ALLOWED_TYPES = {"image/jpeg", "image/png", "application/pdf"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_SCRIPT_NAME = re.compile(rb"/(JavaScript|JS)(?![A-Za-z0-9])")
_SCRIPT_KEYS = {"/JS", "/JavaScript"}


def max_document_bytes() -> int:
    return getattr(settings, "AID_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def document_read(upload) -> tuple[bytes, str]:
    """The bytes and name of an uploaded file, refusing an oversized one before reading it."""
    limit = max_document_bytes()
    if upload.size is not None and upload.size > limit:
        raise DomainError(
            "file_too_large", _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024) or 1},
            field="file",
        )
    return upload.read(limit + 1), upload.name


def document_check(data: bytes) -> str:
    """The content type of an acceptable document; DomainError(field="file") otherwise."""
    if not data:
        raise DomainError("empty_file", _("The file is empty."), field="file")
    limit = max_document_bytes()
    if len(data) > limit:
        raise DomainError(
            "file_too_large", _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024) or 1},
            field="file",
        )
    kind = filetype.guess(data)
    content_type = kind.mime if kind else ""
    if content_type not in ALLOWED_TYPES:
        raise DomainError("unsupported_file", _("Only JPEG, PNG or PDF files can be uploaded."), field="file")
    if content_type == "application/pdf" and _pdf_has_script(data):
        raise DomainError("unsafe_pdf", _("This PDF contains scripts and cannot be accepted."), field="file")
    return content_type


def _pdf_has_script(data: bytes) -> bool:
    # Raw names catch scripts in plain objects; walking the parsed objects catches those in
    # compressed object streams.
    if _SCRIPT_NAME.search(data):
        return True
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DomainError("unreadable_pdf", _("Encrypted PDF files cannot be accepted."), field="file")
        return _walk_has_script(reader.trailer)
    except DomainError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        raise DomainError("unreadable_pdf", _("This PDF cannot be read."), field="file") from None


def _walk_has_script(root) -> bool:
    seen = set()
    stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            if _SCRIPT_KEYS & set(item.keys()) or item.get("/S") == NameObject("/JavaScript"):
                return True
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False
