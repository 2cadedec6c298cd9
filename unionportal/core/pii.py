"""Personal data at rest: encryption, keyed hashes for exact search, and masking.

Values are encrypted with the first key of settings.PII_ENCRYPTION_KEYS (Fernet, AES-128
in CBC with HMAC); every listed key still decrypts, so keys rotate by putting the new key
first and re-saving rows (`manage.py pii_rotate`). The keyed hash (HMAC-SHA256 with
settings.PII_HASH_KEY) makes uniqueness and exact search possible without the clear value.
"""

import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.db.models.query_utils import DeferredAttribute


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.PII_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(settings.PII_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("personal data cannot be decrypted with the configured keys") from error


def rotate(token: str) -> str:
    """Re-encrypt a stored value with the newest key."""
    return _fernet(tuple(settings.PII_ENCRYPTION_KEYS)).rotate(token.encode()).decode()


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC of a normalised value; `purpose` keeps phone and ID hashes apart."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(settings.PII_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    """138****5678"""
    if not phone:
        return ""
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "*" * len(phone)


def mask_id_number(id_number: str) -> str:
    """350502********1234"""
    if not id_number:
        return ""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


# Standalone numbers shaped like a resident ID number or a mobile number (+86 or its URL
# form %2B86 allowed), for masking free text such as request lines in an access log.
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:(?:\+|%2[Bb])?86)?(1[3-9]\d{9})(?![0-9A-Za-z])")


def mask_personal_numbers(text: str) -> str:
    """Mask every ID-shaped and mobile-shaped number in `text` (a lookalike masked too is harmless)."""
    text = _ID_NUMBER_IN_TEXT.sub(lambda match: mask_id_number(match.group()), text)
    return _MOBILE_IN_TEXT.sub(lambda match: mask_phone(match.group(1)), text)


def mask_name(name: str) -> str:
    """张*, 欧阳** — the family name stays, the rest is hidden."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def keep_mask(instance, field: str, masked_field: str, mask, update_fields):
    """Before a save: store the mask of `field`'s clear value in `masked_field`, so that showing
    a row never decrypts it. A value still sealed or not loaded has not changed and is left
    alone. Returns the update_fields to save with (the mask added when the field is in them)."""
    value = instance.__dict__.get(field)
    if value is None or type(value) is Sealed:
        return update_fields
    setattr(instance, masked_field, mask(value))
    if update_fields is not None and field in update_fields:
        return {*update_fields, masked_field}
    return update_fields


class Sealed:
    """A stored value not decrypted yet: what the hot lookups (core.compiled) load into a model,
    since most requests never read the member's phone or ID number."""

    __slots__ = ("token",)

    def __init__(self, token: str):
        self.token = token

    def __repr__(self):
        return "<sealed>"


class _DecryptOnRead(DeferredAttribute):
    """The field's attribute: a sealed value is decrypted the first time it is read. (With
    `__set__` it is a data descriptor, consulted before the instance's own dictionary.)"""

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if type(value) is Sealed:
            value = instance.__dict__[self.field.attname] = decrypt(value.token)
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


def seal(value, expression, connection):
    """A converter for encrypted columns: keeps the ciphertext for `_DecryptOnRead`."""
    return Sealed(value) if value else value


class EncryptedTextField(models.TextField):
    """A text column that holds only ciphertext; Python sees the clear value.

    It cannot be filtered on: search through the companion keyed-hash column.
    """

    descriptor_class = _DecryptOnRead

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
