"""Builders for the members tests: applications as a worker would send them."""

import itertools
from datetime import date

from members.rules import id_number_check_character

_serial = itertools.count(500)


def new_id_number(division="350503", birth=date(1992, 3, 8)) -> str:
    body = f"{division}{birth:%Y%m%d}{next(_serial) % 1000:03d}"
    return body + id_number_check_character(body)


def new_phone() -> str:
    return f"136{next(_serial):08d}"


def application(union, **overrides) -> dict:
    data = {
        "name": "林志明", "id_number": new_id_number(), "phone": new_phone(), "password": "rider-pass-2026",
        "organization": union.pk, "worker_category": "delivery_rider", "is_frontline": True, "consent": True,
    }
    data.update(overrides)
    return data



def consent_published():
    """Transactional tests empty every table afterwards, the migration's consent text too."""
    from importlib import import_module

    from members.models import ConsentVersion

    migration = import_module("members.migrations.0003_card_sequence_search_names_consent_v1")
    return ConsentVersion.objects.get_or_create(
        version="2026-01", defaults={"title": "敏感个人信息处理授权书", "text": migration.CONSENT_TEXT},
    )[0]
